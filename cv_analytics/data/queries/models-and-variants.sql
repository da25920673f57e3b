-- title: Models and prompt variants compared
-- description: Per model and prompt variant (A/B arm), over their responses: how many, the share
--   answered, the share with no match, the mean match score, the 95th percentile of the time to
--   answer, the tokens used and what visitors thought (rated answers, positive share).
SELECT
  coalesce(model, '(none)') AS model,
  coalesce(variant, '(none)') AS variant,
  count(*) AS responses,
  round(100 * CAST(count_if(status = 'answered') AS DOUBLE) / count(*), 1) AS answered_pct,
  round(100 * CAST(count_if(status = 'answered' AND match_type = 'none') AS DOUBLE)
    / nullif(count_if(status = 'answered'), 0), 1) AS no_match_pct,
  round(avg(CASE WHEN status = 'answered' THEN match_score END), 1) AS mean_score,
  round(approx_percentile(elapsed_ms, 0.95), 0) AS p95_ms,
  sum(tokens_input) AS input_tokens,
  sum(tokens_output) AS output_tokens,
  count(feedback_timestamp) AS rated,
  round(100 * CAST(count_if(feedback_positive) AS DOUBLE) / nullif(count(feedback_timestamp), 0), 1)
    AS positive_pct
FROM records
WHERE status IN ('answered', 'failed')
GROUP BY coalesce(model, '(none)'), coalesce(variant, '(none)')
ORDER BY responses DESC, model, variant
