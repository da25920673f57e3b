-- title: The slowest answers
-- description: The 20 responses that took longest (elapsed_ms), with their question, status and
--   match: where the chatbot keeps visitors waiting.
SELECT
  day,
  request_id,
  session_id,
  query,
  status,
  match_type,
  round(elapsed_ms, 0) AS elapsed_ms,
  model
FROM records
WHERE status IN ('answered', 'failed') AND elapsed_ms IS NOT NULL
ORDER BY elapsed_ms DESC, request_id
LIMIT 20
