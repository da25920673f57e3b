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
  ttl_attribute           = "expiresAt"
  interim_table_name      = module.naming.interim_table_name
  analytics_table_name    = module.naming.analytics_table_name
  processor_function_name = module.naming.function_names.processor
  expiry_function_name    = module.naming.function_names.expiry
  log_group_arn_prefix    = "arn:${data.aws_partition.current.partition}:logs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:log-group:/aws/lambda"
  # Every role of this workspace carries it (deploy_role/ creates the policy; the deploy role may
  # only create roles that do).
  permissions_boundary_arn = var.use_permissions_boundary ? "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:policy/${module.naming.permissions_boundary_name}" : null
}

# The worker's queues, found by name: this workspace does not read the worker's state, so the two
# can live in separate state workspaces with separate permissions.
data "aws_sqs_queue" "events" {
  name = module.naming.queue_name
}

data "aws_sqs_queue" "dead_letter" {
  name = module.naming.dead_letter_queue_name
}
