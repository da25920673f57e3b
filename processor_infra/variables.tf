# name_prefix and aws_region have no default on purpose: every caller (cv-analytics deploy, the
# workflows) passes them from deploy.toml, and a run that forgets one stops at once, naming it,
# instead of deploying to a default region or prefix.
variable "name_prefix" {
  description = "Prefix of every resource name: tables \"<prefix>-query-events\" and \"<prefix>-analytics\", roles of the functions \"<prefix>-processor\" and \"<prefix>-expiry\"; the queues are looked up as \"<prefix>-events.fifo\" and \"<prefix>-events-dlq.fifo\". From deploy.toml (name_prefix); validated by ../infra_modules/naming."
  type        = string
}

variable "aws_region" {
  description = "AWS region of the tables and of the worker's queues. From deploy.toml (region); validated by ../infra_modules/naming."
  type        = string
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
