-- title: Sessions with the most questions
-- description: The 20 visitors' sessions that asked most, with how their questions ended and
--   the days they span: read one with `cv-analytics dashboard` (session explorer).
SELECT
  session_id,
  count(*) AS questions,
  count_if(status = 'answered') AS answered,
  count_if(status = 'failed') AS failed,
  count_if(status = 'unanswered') AS unanswered,
  count_if(status = 'answered' AND match_type = 'none') AS no_match,
  min(day) AS first_day,
  max(day) AS last_day
FROM records
WHERE status IN ('answered', 'failed', 'unanswered')
GROUP BY session_id
ORDER BY questions DESC, session_id
LIMIT 20
