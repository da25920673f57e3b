# The workgroup `cv-analytics query --engine athena` runs in: it enforces where results go and
# how they are encrypted, and stops any query that would scan more than the cutoff.
resource "aws_athena_workgroup" "analytics" {
  name          = local.workgroup_name
  description   = "cv-analytics: SQL over the analytics table's exports (database ${local.database_name})."
  force_destroy = var.force_destroy

  configuration {
    enforce_workgroup_configuration    = true
    publish_cloudwatch_metrics_enabled = true
    bytes_scanned_cutoff_per_query     = var.bytes_scanned_cutoff_per_query

    engine_version {
      selected_engine_version = "Athena engine version 3"
    }

    result_configuration {
      output_location = "s3://${local.bucket_name}/${local.results_root}/"

      encryption_configuration {
        encryption_option = "SSE_S3"
      }
    }
  }
}

# The same named queries as `cv-analytics query --list` (cv_analytics/data/queries/*.sql).
resource "aws_athena_named_query" "named" {
  for_each = local.athena.named_queries

  name        = each.key
  description = each.value.description
  workgroup   = aws_athena_workgroup.analytics.id
  database    = aws_glue_catalog_database.analytics.name
  query       = each.value.sql
}
