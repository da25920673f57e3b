variable "name_prefix" {
  description = "Prefix of every resource name: tables \"<prefix>-query-events\" and \"<prefix>-analytics\", functions \"<prefix>-processor\" and \"<prefix>-expiry\"; the queues are looked up as \"<prefix>-events.fifo\" and \"<prefix>-events-dlq.fifo\". Must match the worker and reporter workspaces."
  type        = string
  default     = "cv-analytics"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,38}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 2-40 characters of lower-case letters, digits and hyphens, start with a letter and not end with a hyphen (the longest derived name must fit AWS's 64-character limits)."
  }
}

variable "aws_region" {
  description = "AWS region of the tables and of the worker's queues, e.g. eu-west-2."
  type        = string
  default     = "eu-west-2"

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.aws_region))
    error_message = "aws_region must be an AWS region code such as eu-west-2."
  }
}

variable "point_in_time_recovery" {
  description = "Continuous backups (35 days of point-in-time recovery) for the analytics table."
  type        = bool
  default     = true
}

variable "deletion_protection" {
  description = "Refuse to delete the tables (DynamoDB deletion protection). Turn off only to tear a stack down on purpose."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Extra tags for every resource (Project, Service and ManagedBy are always set)."
  type        = map(string)
  default     = {}
}

variable "skip_credentials_validation" {
  description = "Skip the provider's STS credential check. Keep false in production; true against a local AWS emulator."
  type        = bool
  default     = false
}

variable "skip_requesting_account_id" {
  description = "Skip the provider's account-id lookup. Keep false in production; true against a local AWS emulator."
  type        = bool
  default     = false
}

variable "skip_metadata_api_check" {
  description = "Skip the EC2 instance-metadata credential lookup. Keep false in production; true against a local AWS emulator."
  type        = bool
  default     = false
}
