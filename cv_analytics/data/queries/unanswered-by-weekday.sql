-- title: Unanswered questions by day of the week
-- description: Over the whole range, per day of the week (UTC, Monday first): questions, those
--   left unanswered (no response arrived), failed, and answered with no match, with the
--   unanswered share: when the chatbot lets visitors down.
SELECT
  day_of_week(CAST(day AS DATE)) AS weekday_number,
  CASE day_of_week(CAST(day AS DATE))
    WHEN 1 THEN 'Monday' WHEN 2 THEN 'Tuesday' WHEN 3 THEN 'Wednesday' WHEN 4 THEN 'Thursday'
    WHEN 5 THEN 'Friday' WHEN 6 THEN 'Saturday' ELSE 'Sunday'
  END AS weekday,
  count(*) AS questions,
  count_if(status = 'unanswered') AS unanswered,
  count_if(status = 'failed') AS failed,
  count_if(status = 'answered' AND match_type = 'none') AS no_match,
  round(100 * CAST(count_if(status = 'unanswered') AS DOUBLE) / count(*), 1) AS unanswered_pct
FROM records
WHERE status IN ('answered', 'failed', 'unanswered')
GROUP BY day_of_week(CAST(day AS DATE))
ORDER BY weekday_number
