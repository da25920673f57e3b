output "bucket_name" {
  description = "Bucket of the exports (snapshots/) and of Athena's query results (athena-results/)."
  value       = aws_s3_bucket.data.id
}

output "bucket_arn" {
  description = "ARN of the export bucket."
  value       = aws_s3_bucket.data.arn
}

output "snapshot_prefix" {
  description = "Key prefix of the scheduled exports (each under <prefix>/<scheduled time>/AWSDynamoDB/)."
  value       = local.snapshot_root
}

output "export_schedule_name" {
  description = "Name of the EventBridge Scheduler schedule that exports the analytics table."
  value       = aws_scheduler_schedule.export.name
}

output "export_schedule_arn" {
  description = "ARN of the export schedule."
  value       = aws_scheduler_schedule.export.arn
}

output "export_role_arn" {
  description = "ARN of the role the schedule assumes to start the export."
  value       = aws_iam_role.export.arn
}

output "glue_database" {
  description = "Glue database of the export table and the records view: cv-analytics query --database (CV_ANALYTICS_ATHENA_DATABASE)."
  value       = aws_glue_catalog_database.analytics.name
}

output "records_view" {
  description = "The view the named queries read (the latest snapshot, with the columns of cv-analytics export)."
  value       = aws_glue_catalog_table.records.name
}

output "athena_workgroup" {
  description = "Athena workgroup: cv-analytics query --workgroup (CV_ANALYTICS_ATHENA_WORKGROUP)."
  value       = aws_athena_workgroup.analytics.name
}

output "named_queries" {
  description = "Named queries saved in the workgroup (the files of cv_analytics/data/queries)."
  value       = sort(keys(aws_athena_named_query.named))
}

output "analyst_policy_arn" {
  description = "Managed policy to attach to whoever runs cv-analytics query --engine athena."
  value       = aws_iam_policy.analyst.arn
}
