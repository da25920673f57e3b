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
  # The catalogue and the named queries, generated from the Python column definitions and the
  # named query files (python -m cv_analytics.data.athena_schema; a test keeps it current).
  athena = jsondecode(file("${path.module}/athena.generated.json"))

  analytics_table_name = module.naming.analytics_table_name
  bucket_name          = coalesce(var.bucket_name, "${var.name_prefix}-data-${data.aws_caller_identity.current.account_id}")
  # Glue and Athena names: lower case, underscores (a hyphen would need quoting in every query).
  database_name            = replace("${var.name_prefix}_analytics", "-", "_")
  workgroup_name           = "${var.name_prefix}-analytics"
  schedule_name            = "${var.name_prefix}-analytics-export"
  snapshot_root            = local.athena.export_prefix
  results_root             = "athena-results"
  bucket_arn               = "arn:${data.aws_partition.current.partition}:s3:::${local.bucket_name}"
  glue_arn                 = "arn:${data.aws_partition.current.partition}:glue:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}"
  permissions_boundary_arn = var.use_permissions_boundary ? "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:policy/${module.naming.permissions_boundary_name}" : null
}

# The analytics table, found by name: processor_infra owns it, with the point-in-time recovery
# that an export to S3 requires. This workspace never changes it.
data "aws_dynamodb_table" "analytics" {
  name = local.analytics_table_name
}
