# The weekly trigger. The rule always exists; its target and invoke permission need the reporter
# function and its live alias, which SAM deploys with the role created above. First deployment:
# apply with schedule_enabled = false, `sam deploy` the reporter, apply again (default true).
resource "aws_cloudwatch_event_rule" "weekly_report" {
  name                = "${var.name_prefix}-weekly-report"
  description         = "Runs ${local.reporter_function_name}:${local.live_alias} to email the report of the ISO week that just ended."
  schedule_expression = var.schedule_expression
  state               = var.schedule_enabled ? "ENABLED" : "DISABLED"
}

# Fails the plan with a clear "not found" if the function or alias has not been deployed yet.
data "aws_lambda_alias" "reporter_live" {
  count         = var.schedule_enabled ? 1 : 0
  function_name = local.reporter_function_name
  name          = local.live_alias
}

resource "aws_cloudwatch_event_target" "reporter" {
  count     = var.schedule_enabled ? 1 : 0
  rule      = aws_cloudwatch_event_rule.weekly_report.name
  target_id = "reporter-live"
  arn       = data.aws_lambda_alias.reporter_live[0].arn

  retry_policy {
    maximum_retry_attempts       = 2
    maximum_event_age_in_seconds = 3600
  }
}

resource "aws_lambda_permission" "schedule" {
  count         = var.schedule_enabled ? 1 : 0
  statement_id  = "AllowWeeklyReportSchedule"
  action        = "lambda:InvokeFunction"
  function_name = local.reporter_function_name
  qualifier     = local.live_alias
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.weekly_report.arn
}
