output "interim_table_name" {
  description = "Name of the interim (correlation) table: SAM parameter InterimTableName."
  value       = aws_dynamodb_table.interim.name
}

output "interim_table_arn" {
  description = "ARN of the interim (correlation) table."
  value       = aws_dynamodb_table.interim.arn
}

output "interim_table_stream_arn" {
  description = "ARN of the interim table's stream (OLD_IMAGE, read for TTL deletions): SAM parameter InterimTableStreamArn."
  value       = aws_dynamodb_table.interim.stream_arn
}

output "analytics_table_name" {
  description = "Name of the analytics table: SAM parameter AnalyticsTableName (processor and reporter stacks)."
  value       = aws_dynamodb_table.analytics.name
}

output "analytics_table_arn" {
  description = "ARN of the analytics table."
  value       = aws_dynamodb_table.analytics.arn
}

output "processor_role_arn" {
  description = "ARN of the processor function's execution role: SAM parameter ProcessorRoleArn."
  value       = aws_iam_role.processor.arn
}

output "expiry_role_arn" {
  description = "ARN of the expiry function's execution role: SAM parameter ExpiryRoleArn."
  value       = aws_iam_role.expiry.arn
}

output "queue_arn" {
  description = "ARN of the worker's events queue as found by name (the same value as the worker's queue_arn): SAM parameter QueueArn."
  value       = data.aws_sqs_queue.events.arn
}

output "dead_letter_queue_url" {
  description = "URL of the worker's dead-letter queue as found by name (the same value as the worker's dead_letter_queue_url): SAM parameter DeadLetterQueueUrl."
  value       = data.aws_sqs_queue.dead_letter.url
}

output "name_prefix" {
  description = "Prefix of every resource name; the SAM stack's NamePrefix parameter (function names, log groups) must use the same one."
  value       = var.name_prefix
}

output "codedeploy_role_arn" {
  description = "ARN of the role CodeDeploy uses to shift the processor's and the expiry function's live aliases: SAM parameter CodeDeployRoleArn of the processor stack."
  value       = module.codedeploy_role.arn
}
