# name_prefix and aws_region have no default on purpose: every caller (cv-analytics deploy, the
# workflows) passes them from deploy.toml, and a run that forgets one stops at once, naming it,
# instead of deploying to a default region or prefix.
variable "name_prefix" {
  description = "Prefix of every resource name: the queue \"<prefix>-events.fifo\", its dead-letter queue \"<prefix>-events-dlq.fifo\". From deploy.toml (name_prefix), like every workspace's; validated by ../infra_modules/naming."
  type        = string
}

variable "aws_region" {
  description = "AWS region of the queues. From deploy.toml (region); validated by ../infra_modules/naming."
  type        = string
}

variable "processor_timeout_seconds" {
  description = "Timeout of the processor Lambda that consumes the queue (set in the SAM template). The queue's visibility timeout is six times this value, as AWS recommends for a Lambda event source."
  type        = number
  default     = 30

  validation {
    condition     = var.processor_timeout_seconds >= 1 && var.processor_timeout_seconds <= 900 && floor(var.processor_timeout_seconds) == var.processor_timeout_seconds
    error_message = "processor_timeout_seconds must be a whole number of seconds between 1 and 900 (the Lambda maximum)."
  }
}

variable "max_receive_count" {
  description = "How many times a message is received (and fails) before SQS moves it to the dead-letter queue."
  type        = number
  default     = 3

  validation {
    condition     = var.max_receive_count >= 1 && var.max_receive_count <= 1000 && floor(var.max_receive_count) == var.max_receive_count
    error_message = "max_receive_count must be a whole number between 1 and 1000."
  }
}

variable "dead_letter_retention_seconds" {
  description = "How long the dead-letter queue keeps a message for an operator to inspect and replay (default and maximum: 14 days)."
  type        = number
  default     = 1209600

  validation {
    condition     = var.dead_letter_retention_seconds >= 60 && var.dead_letter_retention_seconds <= 1209600 && floor(var.dead_letter_retention_seconds) == var.dead_letter_retention_seconds
    error_message = "dead_letter_retention_seconds must be a whole number between 60 and 1209600 (14 days)."
  }
}

variable "receive_wait_time_seconds" {
  description = "Long-polling wait of a ReceiveMessage call (20 s: fewer empty receives, lower cost)."
  type        = number
  default     = 20

  validation {
    condition     = var.receive_wait_time_seconds >= 0 && var.receive_wait_time_seconds <= 20 && floor(var.receive_wait_time_seconds) == var.receive_wait_time_seconds
    error_message = "receive_wait_time_seconds must be a whole number between 0 and 20."
  }
}

variable "restrict_dead_letter_sources" {
  description = "Attach a redrive-allow policy so that only the events queue can use the dead-letter queue. Keep true on AWS; false only on an emulator that does not implement RedriveAllowPolicy (moto 5.2), where the provider would wait for it forever."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Extra tags for every resource (Project, Service and ManagedBy are always set)."
  type        = map(string)
  default     = {}
}
