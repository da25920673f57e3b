# name_prefix and aws_region have no default on purpose (as in every workspace): cv-analytics deploy
# and the workflows pass them from deploy.toml; ../infra_modules/naming validates them.
variable "name_prefix" {
  description = "Prefix of every resource name; the analytics table is looked up as \"<prefix>-analytics\". From deploy.toml (name_prefix); validated by ../infra_modules/naming."
  type        = string
}

variable "aws_region" {
  description = "AWS region of the analytics table, the bucket, the catalogue and the workgroup. From deploy.toml (region); validated by ../infra_modules/naming."
  type        = string
}

variable "bucket_name" {
  description = "Name of the export bucket (default: \"<prefix>-data-<account id>\"). Bucket names are global: set it when that name is taken."
  type        = string
  default     = null

  validation {
    condition     = var.bucket_name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be a valid S3 bucket name: 3-63 lower-case letters, digits, dots and hyphens."
  }
}

variable "export_schedule_expression" {
  description = "When the table is exported (EventBridge Scheduler expression, UTC). Default: Mondays 05:00 UTC, before the weekly report."
  type        = string
  default     = "cron(0 5 ? * MON *)"

  validation {
    condition     = can(regex("^(cron|rate)\\(.+\\)$", var.export_schedule_expression))
    error_message = "export_schedule_expression must be a cron(...) or rate(...) expression."
  }
}

variable "export_schedule_enabled" {
  description = "Run the scheduled export. Off: the workspace keeps the bucket, catalogue and workgroup, and nothing is exported."
  type        = bool
  default     = true
}

variable "snapshot_retention_days" {
  description = "Days an export is kept. Longer than the schedule's interval, so that the latest snapshot is always there (weekly: at least 8)."
  type        = number
  default     = 15

  validation {
    condition     = var.snapshot_retention_days >= 2 && var.snapshot_retention_days <= 400 && floor(var.snapshot_retention_days) == var.snapshot_retention_days
    error_message = "snapshot_retention_days must be a whole number of days between 2 and 400."
  }
}

variable "query_result_retention_days" {
  description = "Days Athena's query results are kept in the bucket."
  type        = number
  default     = 7

  validation {
    condition     = var.query_result_retention_days >= 1 && var.query_result_retention_days <= 400 && floor(var.query_result_retention_days) == var.query_result_retention_days
    error_message = "query_result_retention_days must be a whole number of days between 1 and 400."
  }
}

variable "bytes_scanned_cutoff_per_query" {
  description = "Athena stops a query that would scan more than this (bytes; Athena's minimum is 10 MB). Default 1 GiB: $0.005 at $5 per TB."
  type        = number
  default     = 1073741824

  validation {
    condition     = var.bytes_scanned_cutoff_per_query >= 10485760 && floor(var.bytes_scanned_cutoff_per_query) == var.bytes_scanned_cutoff_per_query
    error_message = "bytes_scanned_cutoff_per_query must be a whole number of bytes, at least 10485760 (10 MB)."
  }
}

variable "force_destroy" {
  description = "Let terraform destroy the bucket and the workgroup with what they hold. Keep false in production; true for a stack torn down on purpose (the emulator)."
  type        = bool
  default     = false
}

variable "deny_insecure_transport" {
  description = "Attach the bucket policy that refuses every request not made over TLS. Keep true on AWS; false only on an emulator reached over plain HTTP (moto enforces the policy)."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Extra tags for every resource (Project, Service and ManagedBy are always set)."
  type        = map(string)
  default     = {}
}

variable "use_permissions_boundary" {
  description = "Give the export schedule's role the permissions boundary \"github-<prefix>-workload-boundary\" that deploy_role/ creates (the deploy role may only create roles that carry it). Keep true on AWS; apply deploy_role/ first."
  type        = bool
  default     = true
}
