-- title: Questions and answer rate by week
-- description: Per ISO week, as the weekly email counts them: questions (answered + failed +
--   unanswered), the sessions they came from, the share answered, the share of answers that
--   found nothing in the CV (no match), and orphaned responses (counted apart).
SELECT
  week,
  count_if(status IN ('answered', 'failed', 'unanswered')) AS questions,
  count(DISTINCT CASE WHEN status <> 'orphaned' THEN session_id END) AS sessions,
  count_if(status = 'answered') AS answered,
  count_if(status = 'failed') AS failed,
  count_if(status = 'unanswered') AS unanswered,
  round(100 * CAST(count_if(status = 'answered') AS DOUBLE)
    / nullif(count_if(status IN ('answered', 'failed', 'unanswered')), 0), 1) AS answer_rate_pct,
  round(100 * CAST(count_if(status = 'answered' AND match_type = 'none') AS DOUBLE)
    / nullif(count_if(status = 'answered'), 0), 1) AS no_match_pct,
  count_if(status = 'orphaned') AS orphaned
FROM records
GROUP BY week
ORDER BY week
