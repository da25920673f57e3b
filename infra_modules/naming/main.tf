# The names every workspace derives from name_prefix, defined once. A pure module: no provider, no
# resource, no state of its own. Each root (worker_infra, processor_infra, reporter_infra,
# deploy_role) instantiates it for itself, so sharing it ties the names together (they must agree:
# the processor finds the worker's queue by name) but never the states or the blast radii.
#
# The same names appear in template.yaml (SAM: `${NamePrefix}-processor`...) and in
# cv_analytics/deploy/settings.py (stack and workspace names); tests/infra checks that all three agree.

variable "name_prefix" {
  description = "Prefix of every resource name (the name_prefix setting of deploy.toml)."
  type        = string

  validation {
    # 3-32 characters: the SAM template's NamePrefix allows the same, and the longest derived name
    # ("<prefix>-processor-codedeploy", an IAM role) stays within AWS's 64-character limit.
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 3-32 characters of lower-case letters, digits and hyphens, start with a letter and not end with a hyphen."
  }
}

variable "aws_region" {
  description = "AWS region of every resource (the region setting of deploy.toml)."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.aws_region))
    error_message = "aws_region must be an AWS region code such as eu-west-2."
  }
}

locals {
  prefix = var.name_prefix
}

output "name_prefix" {
  description = "The validated prefix."
  value       = local.prefix
}

output "queue_name" {
  description = "The FIFO events queue (worker_infra)."
  value       = "${local.prefix}-events.fifo"
}

output "dead_letter_queue_name" {
  description = "Its FIFO dead-letter queue (worker_infra)."
  value       = "${local.prefix}-events-dlq.fifo"
}

output "interim_table_name" {
  description = "The correlation table (processor_infra)."
  value       = "${local.prefix}-query-events"
}

output "analytics_table_name" {
  description = "The analytics table (processor_infra; read by the reporter)."
  value       = "${local.prefix}-analytics"
}

output "function_names" {
  description = "The Lambda functions SAM deploys (template.yaml), by role."
  value = {
    processor = "${local.prefix}-processor"
    expiry    = "${local.prefix}-expiry"
    reporter  = "${local.prefix}-reporter"
  }
}

output "live_alias" {
  description = "The alias every trigger points at (AutoPublishAlias in template.yaml)."
  value       = "live"
}

output "permissions_boundary_name" {
  description = "The IAM policy every role of the workspaces carries as its permissions boundary. Created by deploy_role/, outside the \"<prefix>-*\" names the deploy role may change, so a deploy can neither rewrite nor remove it."
  value       = "github-${local.prefix}-workload-boundary"
}
