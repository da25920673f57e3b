-- title: What the CV does not cover
-- description: Questions answered with no match in the CV, grouped by their wording (case and
--   surrounding spaces aside), most asked first, with their mean match score and when they were
--   last asked: what to add to the CV or the prompt.
SELECT
  lower(trim(query)) AS question,
  count(*) AS asked,
  round(avg(match_score), 1) AS mean_score,
  max(day) AS last_asked
FROM records
WHERE status = 'answered' AND match_type = 'none' AND query IS NOT NULL
GROUP BY lower(trim(query))
ORDER BY asked DESC, question
LIMIT 25
