-- title: How long answers took, by week
-- description: Per ISO week, over every response to a question (answered and failed: a visitor
--   waits for a failure too): how many were timed, the median, the 95th percentile and the
--   slowest, in milliseconds (elapsed_ms). Percentiles are exact on DuckDB and approximate on
--   Athena (approx_percentile).
SELECT
  week,
  count(elapsed_ms) AS timed_responses,
  round(approx_percentile(elapsed_ms, 0.5), 0) AS p50_ms,
  round(approx_percentile(elapsed_ms, 0.95), 0) AS p95_ms,
  round(max(elapsed_ms), 0) AS slowest_ms
FROM records
WHERE status IN ('answered', 'failed')
GROUP BY week
ORDER BY week
