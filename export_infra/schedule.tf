# The scheduled export: EventBridge Scheduler calls DynamoDB's ExportTableToPointInTime directly
# (a universal target: no Lambda to write or pay for). Each run is a full snapshot under
# snapshots/<scheduled time>/; the Athena view reads the latest one. ClientToken is the scheduled
# time, so the scheduler's retries of one run start one export, not several.
resource "aws_scheduler_schedule" "export" {
  #checkov:skip=CKV_AWS_297:The schedule holds the table ARN and the bucket name, no secret: the AWS-owned key is enough.
  name                         = local.schedule_name
  description                  = "Full export of ${local.analytics_table_name} to s3://${local.bucket_name}/${local.snapshot_root}/ for Athena."
  schedule_expression          = var.export_schedule_expression
  schedule_expression_timezone = "UTC"
  state                        = var.export_schedule_enabled ? "ENABLED" : "DISABLED"

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = "arn:${data.aws_partition.current.partition}:scheduler:::aws-sdk:dynamodb:exportTableToPointInTime"
    role_arn = aws_iam_role.export.arn
    # jsonencode writes < and > as \u003c and \u003e, which Scheduler would not recognise as
    # its context keywords: they are put back.
    input = replace(replace(jsonencode({
      TableArn       = data.aws_dynamodb_table.analytics.arn
      S3Bucket       = aws_s3_bucket.data.id
      S3Prefix       = "${local.snapshot_root}/<aws.scheduler.scheduled-time>"
      S3SseAlgorithm = "AES256"
      ExportFormat   = "DYNAMODB_JSON"
      ExportType     = "FULL_EXPORT"
      ClientToken    = "<aws.scheduler.scheduled-time>"
    }), "\\u003c", "<"), "\\u003e", ">")

    retry_policy {
      maximum_retry_attempts       = 3
      maximum_event_age_in_seconds = 3600
    }
  }
}
