# name_prefix and aws_region have no default on purpose: every caller (cv-analytics deploy, the
# workflows) passes them from deploy.toml, and a run that forgets one stops at once, naming it,
# instead of deploying to a default region or prefix.
variable "name_prefix" {
  description = "Prefix of every resource name: the reporter function \"<prefix>-reporter\" (alias live), the analytics table \"<prefix>-analytics\", the queues and functions the alarms watch. From deploy.toml (name_prefix); validated by ../infra_modules/naming."
  type        = string
}

variable "aws_region" {
  description = "AWS region of the reporter, its schedule, SES identities and alarms. From deploy.toml (region); validated by ../infra_modules/naming."
  type        = string
}

variable "report_sender" {
  description = "The address the weekly report is sent from. An SES email identity is created for it (AWS emails a verification link); the reporter may send from this address only."
  type        = string

  validation {
    condition     = can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.report_sender))
    error_message = "report_sender must be an email address."
  }
}

variable "report_sender_name" {
  description = "Optional display name of the sender: the report then comes from \"<name> <report_sender>\" (the reporter's ReportSender)."
  type        = string
  default     = null

  validation {
    condition     = var.report_sender_name == null || can(regex("^[^<>\"@,;\\r\\n]{1,64}$", var.report_sender_name))
    error_message = "report_sender_name must be 1-64 characters without <, >, \", @, comma, semicolon or line breaks."
  }
}

variable "report_recipients" {
  description = "Addresses that receive the weekly report; the reporter may send to these only."
  type        = list(string)

  validation {
    condition     = length(var.report_recipients) >= 1 && length(var.report_recipients) <= 50 && alltrue([for address in var.report_recipients : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", address))])
    error_message = "report_recipients must hold 1 to 50 email addresses."
  }
}

variable "ses_sandbox" {
  description = "The account's SES is still in the sandbox: create (verify) an email identity for every recipient as well, and let the reporter's role address those identities, as SES then checks both."
  type        = bool
  default     = true
}

variable "schedule_enabled" {
  description = "Point the weekly schedule at the reporter's live alias. Needs the function and alias deployed by SAM: set false for the very first apply (before `sam deploy`), true (default) ever after."
  type        = bool
  default     = true
}

variable "schedule_expression" {
  description = "When the weekly report runs (EventBridge schedule expression, UTC). Default: Mondays at 07:00 UTC, covering the ISO week that just ended."
  type        = string
  default     = "cron(0 7 ? * MON *)"

  validation {
    condition     = can(regex("^(cron\\(([^ )]+ ){5}[^ )]+\\)|rate\\([1-9][0-9]* (minute|minutes|hour|hours|day|days)\\))$", var.schedule_expression))
    error_message = "schedule_expression must be an EventBridge expression: cron(<6 fields>) or rate(<n> <unit>)."
  }
}

variable "alert_email" {
  description = "Optional address subscribed to the alert topic (AWS emails a confirmation link). Null: no subscription."
  type        = string
  default     = null

  validation {
    condition     = var.alert_email == null || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alert_email))
    error_message = "alert_email must be an email address or null."
  }
}

variable "price_per_million_input_tokens" {
  description = "Optional price of a million input tokens of the chatbot's model: with both prices set, the report shows the LLM cost (SAM parameter PricePerMillionInputTokens, through the output of the same name). Null: no cost shown."
  type        = number
  default     = null

  validation {
    condition     = var.price_per_million_input_tokens == null || try(var.price_per_million_input_tokens >= 0, false)
    error_message = "price_per_million_input_tokens must be a number >= 0, or null."
  }
}

variable "price_per_million_output_tokens" {
  description = "Optional price of a million output tokens (SAM parameter PricePerMillionOutputTokens, through the output of the same name). Null: no cost shown."
  type        = number
  default     = null

  validation {
    condition     = var.price_per_million_output_tokens == null || try(var.price_per_million_output_tokens >= 0, false)
    error_message = "price_per_million_output_tokens must be a number >= 0, or null."
  }
}

variable "price_currency" {
  description = "Currency of the two prices, an ISO 4217 code (SAM parameter PriceCurrency)."
  type        = string
  default     = "USD"

  validation {
    condition     = can(regex("^[A-Z]{3}$", var.price_currency))
    error_message = "price_currency must be a three-letter currency code such as USD or GBP."
  }
}

variable "oldest_message_age_threshold_seconds" {
  description = "Alarm when the oldest message in the events queue is older than this. The default (15 min) is above a poisoned message's worst case (3 receives x 180 s visibility) so retries alone do not page."
  type        = number
  default     = 900

  validation {
    condition     = var.oldest_message_age_threshold_seconds >= 60 && var.oldest_message_age_threshold_seconds <= 1209600
    error_message = "oldest_message_age_threshold_seconds must be between 60 and 1209600 (14 days)."
  }
}

variable "alarm_period_seconds" {
  description = "Period over which the function error, dead-letter and queue-age alarms evaluate their metric. 60 s: the SAM stacks' canary deployments (Canary10Percent5Minutes) roll back on the function error alarms, which must be able to fire within the canary's 5 minutes."
  type        = number
  default     = 60

  validation {
    condition     = contains([60, 300, 900, 3600], var.alarm_period_seconds)
    error_message = "alarm_period_seconds must be one of 60, 300, 900 or 3600."
  }
}

variable "use_permissions_boundary" {
  description = "Give every role of this workspace the permissions boundary \"github-<prefix>-workload-boundary\" that deploy_role/ creates (the deploy role may only create roles that carry it). Keep true on AWS; apply deploy_role/ first."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Extra tags for every resource (Project, Service and ManagedBy are always set)."
  type        = map(string)
  default     = {}
}
