data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

# Every name derived from the prefix, defined once for all workspaces (no state, no resources).
module "naming" {
  source      = "../infra_modules/naming"
  name_prefix = var.name_prefix
  aws_region  = var.aws_region
}

locals {
  reporter_function_name  = module.naming.function_names.reporter
  processor_function_name = module.naming.function_names.processor
  expiry_function_name    = module.naming.function_names.expiry
  queue_name              = module.naming.queue_name
  dead_letter_queue_name  = module.naming.dead_letter_queue_name
  live_alias              = module.naming.live_alias
  week_index              = "week-index"

  arn_prefix = "arn:${data.aws_partition.current.partition}"
  region     = data.aws_region.current.name
  account_id = data.aws_caller_identity.current.account_id

  # Every role of this workspace carries it (deploy_role/ creates the policy; the deploy role may
  # only create roles that do).
  permissions_boundary_arn = var.use_permissions_boundary ? "${local.arn_prefix}:iam::${local.account_id}:policy/${module.naming.permissions_boundary_name}" : null

  # Recipients with an identity of their own (sandbox only); the sender's identity already exists.
  recipient_identities = var.ses_sandbox ? toset([for address in var.report_recipients : address if address != var.report_sender]) : toset([])
}

# The processor workspace's analytics table, found by name (no cross-workspace state reads).
data "aws_dynamodb_table" "analytics" {
  name = module.naming.analytics_table_name
}
