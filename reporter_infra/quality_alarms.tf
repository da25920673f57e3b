# The answer-quality alarm on the processor's EMF metrics (namespace CvAnalytics, dimension
# service=processor): a jump in no-match answers, failures, unanswered questions or slow answers
# notifies the alerts topic within the hour instead of waiting for Monday's email. Each rate is
# metric math over one period; below a minimum number of questions (or answers) its term is 0, so
# a quiet day with two questions, one of them failed, does not page anyone.

variable "quality_metrics_namespace" {
  description = "CloudWatch namespace of the processor's metrics (its POWERTOOLS_METRICS_NAMESPACE)."
  type        = string
  default     = "CvAnalytics"

  validation {
    condition     = can(regex("^[A-Za-z0-9_./#:-]{1,255}$", var.quality_metrics_namespace)) && !startswith(var.quality_metrics_namespace, "AWS/")
    error_message = "quality_metrics_namespace must be a custom CloudWatch namespace (1-255 characters, not AWS/...)."
  }
}

variable "quality_alarm_period_seconds" {
  description = "Window over which each quality rate is computed. With the default datapoints (2 of 4 windows of 15 min) a sustained problem notifies within the hour."
  type        = number
  default     = 900

  validation {
    condition     = contains([300, 600, 900, 1800, 3600], var.quality_alarm_period_seconds)
    error_message = "quality_alarm_period_seconds must be one of 300, 600, 900, 1800 or 3600."
  }
}

variable "quality_alarm_evaluation_periods" {
  description = "Windows looked at by the quality alarm."
  type        = number
  default     = 4

  validation {
    condition     = var.quality_alarm_evaluation_periods >= 1 && var.quality_alarm_evaluation_periods <= 24
    error_message = "quality_alarm_evaluation_periods must be between 1 and 24."
  }
}

variable "quality_alarm_datapoints" {
  description = "Breaching windows, among the evaluated ones, that raise a quality alarm (one bad window alone does not)."
  type        = number
  default     = 2

  validation {
    condition     = var.quality_alarm_datapoints >= 1 && var.quality_alarm_datapoints <= 24
    error_message = "quality_alarm_datapoints must be between 1 and 24 (and at most quality_alarm_evaluation_periods)."
  }
}

variable "quality_min_questions" {
  description = "Questions (answers, for the no-match rate and p95) a window needs before its rate is judged: fewer and the alarm stays quiet."
  type        = number
  default     = 20

  validation {
    condition     = var.quality_min_questions >= 1
    error_message = "quality_min_questions must be at least 1."
  }
}

variable "no_match_rate_threshold" {
  description = "Alarm when more than this share of answers matched nothing in the CV (0-1)."
  type        = number
  default     = 0.5

  validation {
    condition     = var.no_match_rate_threshold > 0 && var.no_match_rate_threshold <= 1
    error_message = "no_match_rate_threshold must be in (0, 1]."
  }
}

variable "failure_rate_threshold" {
  description = "Alarm when more than this share of questions got a failed answer (0-1)."
  type        = number
  default     = 0.2

  validation {
    condition     = var.failure_rate_threshold > 0 && var.failure_rate_threshold <= 1
    error_message = "failure_rate_threshold must be in (0, 1]."
  }
}

variable "unanswered_rate_threshold" {
  description = "Alarm when more than this share of questions got no answer at all (questions - answers - failed answers, over questions; 0-1)."
  type        = number
  default     = 0.3

  validation {
    condition     = var.unanswered_rate_threshold > 0 && var.unanswered_rate_threshold <= 1
    error_message = "unanswered_rate_threshold must be in (0, 1]."
  }
}

variable "p95_processing_time_threshold_ms" {
  description = "Alarm when the 95th percentile of processing time over a window is above this (milliseconds)."
  type        = number
  default     = 15000

  validation {
    condition     = var.p95_processing_time_threshold_ms > 0
    error_message = "p95_processing_time_threshold_ms must be positive."
  }
}

locals {
  quality_dimensions = { service = "processor" }
  quality_min        = var.quality_min_questions

  # One alarm for every answer-quality condition (AWS's free tier covers 10 alarm metrics, and a
  # metric-math alarm is billed per metric it reads: four alarms read 9, this one reads 5). Each
  # term is its rate over its threshold, 0 below the minimum sample, so MAX([...]) > 1 when any
  # condition holds; `terms` names MAX's elements in order (the local evaluator reports which
  # crossed). The description's percentages are rounded to 0.1 (0.3 * 100 prints as
  # 30.000000000000004 otherwise).
  quality_alarms = {
    answer-quality = {
      expression  = "MAX([IF(answers >= ${local.quality_min}, nomatch / answers / ${var.no_match_rate_threshold}, 0), IF(questions >= ${local.quality_min}, failed / questions / ${var.failure_rate_threshold}, 0), IF(questions >= ${local.quality_min}, (questions - answers - failed) / questions / ${var.unanswered_rate_threshold}, 0), IF(answers >= ${local.quality_min}, p95 / ${var.p95_processing_time_threshold_ms}, 0)])"
      threshold   = 1
      terms       = ["no-match-rate", "failure-rate", "unanswered-rate", "p95-processing-time"]
      description = "Answer quality, per window of ${var.quality_alarm_period_seconds} s: more than ${floor(var.no_match_rate_threshold * 1000 + 0.5) / 10}% of answers matched nothing in the CV, or more than ${floor(var.failure_rate_threshold * 1000 + 0.5) / 10}% of questions got a failed answer, or more than ${floor(var.unanswered_rate_threshold * 1000 + 0.5) / 10}% got no answer, or the p95 processing time is above ${var.p95_processing_time_threshold_ms} ms (each judged in windows with at least ${local.quality_min} questions, or answers for the no-match rate and p95)."
      metrics = {
        questions = ["Questions", "Sum"]
        answers   = ["Answers", "Sum"]
        failed    = ["FailedAnswers", "Sum"]
        nomatch   = ["NoMatchAnswers", "Sum"]
        p95       = ["ProcessingTime", "p95"]
      }
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "quality" {
  for_each            = local.quality_alarms
  alarm_name          = "${var.name_prefix}-${each.key}"
  alarm_description   = each.value.description
  comparison_operator = "GreaterThanThreshold"
  threshold           = each.value.threshold
  evaluation_periods  = var.quality_alarm_evaluation_periods
  datapoints_to_alarm = min(var.quality_alarm_datapoints, var.quality_alarm_evaluation_periods)
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alerts.arn]
  ok_actions          = [aws_sns_topic.alerts.arn]

  metric_query {
    id          = "rate"
    expression  = each.value.expression
    label       = each.key
    return_data = true
  }

  dynamic "metric_query" {
    for_each = each.value.metrics
    content {
      id = metric_query.key
      metric {
        namespace   = var.quality_metrics_namespace
        metric_name = metric_query.value[0]
        dimensions  = local.quality_dimensions
        period      = var.quality_alarm_period_seconds
        stat        = metric_query.value[1]
      }
    }
  }
}

output "quality_alarm_names" {
  description = "Name of the answer-quality alarm (one alarm: every quality condition)."
  value       = { for key, alarm in aws_cloudwatch_metric_alarm.quality : key => alarm.alarm_name }
}
