output "reporter_role_arn" {
  description = "ARN of the reporter function's execution role: SAM parameter ReporterRoleArn."
  value       = aws_iam_role.reporter.arn
}

output "report_sender" {
  description = "The From of the report, \"<name> <address>\" when report_sender_name is set, else the verified address: SAM parameter ReportSender."
  value       = var.report_sender_name == null ? var.report_sender : "${var.report_sender_name} <${var.report_sender}>"
}

output "report_recipients" {
  description = "The recipients, comma-separated: SAM parameter ReportRecipients."
  value       = join(",", var.report_recipients)
}

output "analytics_table_name" {
  description = "Name of the analytics table the reporter reads (found by name): SAM parameter AnalyticsTableName of the reporter stack."
  value       = data.aws_dynamodb_table.analytics.name
}

output "sender_identity_arn" {
  description = "ARN of the SES email identity of the sender."
  value       = aws_sesv2_email_identity.sender.arn
}

output "schedule_rule_name" {
  description = "Name of the EventBridge rule that triggers the weekly report."
  value       = aws_cloudwatch_event_rule.weekly_report.name
}

output "schedule_rule_arn" {
  description = "ARN of the EventBridge rule that triggers the weekly report."
  value       = aws_cloudwatch_event_rule.weekly_report.arn
}

output "schedule_target_arn" {
  description = "The function alias the schedule invokes; null while schedule_enabled is false."
  value       = var.schedule_enabled ? data.aws_lambda_alias.reporter_live[0].arn : null
}

output "alert_topic_arn" {
  description = "ARN of the SNS topic every alarm notifies."
  value       = aws_sns_topic.alerts.arn
}

output "alarm_names" {
  description = "Names of the CloudWatch alarms, by what they watch."
  value = merge(
    { for key, alarm in aws_cloudwatch_metric_alarm.function_errors : "${key}_errors" => alarm.alarm_name },
    {
      dead_letter_messages = aws_cloudwatch_metric_alarm.dead_letter_messages.alarm_name
      oldest_message_age   = aws_cloudwatch_metric_alarm.oldest_message_age.alarm_name
    },
  )
}

output "name_prefix" {
  description = "Prefix of every resource name; the SAM stack's NamePrefix parameter (function names, log groups) must use the same one."
  value       = var.name_prefix
}

output "price_per_million_input_tokens" {
  description = "The model's price per million input tokens, or null: SAM parameter PricePerMillionInputTokens (the report's LLM cost)."
  value       = var.price_per_million_input_tokens
}

output "price_per_million_output_tokens" {
  description = "The model's price per million output tokens, or null: SAM parameter PricePerMillionOutputTokens."
  value       = var.price_per_million_output_tokens
}

output "price_currency" {
  description = "Currency of the prices: SAM parameter PriceCurrency."
  value       = var.price_currency
}

output "codedeploy_role_arn" {
  description = "ARN of the role CodeDeploy uses to shift the reporter's live alias: SAM parameter CodeDeployRoleArn of the reporter stack."
  value       = module.codedeploy_role.arn
}
