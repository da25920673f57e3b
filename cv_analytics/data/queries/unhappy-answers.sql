-- title: Answers visitors did not like
-- description: The 25 most recent answers rated negatively (thumbs down, or 1-2 out of 5), with
--   the question, the start of the answer, the match and the visitor's comment.
SELECT
  day,
  query,
  substr(response, 1, 160) AS answer_start,
  match_type,
  match_score,
  coalesce(feedback_thumbs, CAST(feedback_rating AS VARCHAR)) AS verdict,
  feedback_comment AS comment
FROM records
WHERE feedback_positive = false
ORDER BY feedback_timestamp DESC, request_id
LIMIT 25
