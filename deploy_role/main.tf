# GitHub Actions -> AWS through OIDC: no long-lived keys anywhere.
#
# Applied ONCE per AWS account by an administrator, from a laptop, with local state (README.md):
# the GitHub OIDC identity provider (created or reused), the permissions boundary every workload
# role carries, and two roles:
#   * github-<prefix>-plan:   pull-request runs and the plan of a push to main; reads resource
#                             metadata (no data, no writes) so `terraform plan` can refresh state.
#   * github-<prefix>-deploy: only jobs of the `production` GitHub environment (the applies and the
#                             SAM deploys on main); writes only resources whose names start with
#                             "<prefix>-", plus SAM's artifact bucket.
#
# No privilege escalation through the deploy role: every role it creates or changes must carry the
# boundary github-<prefix>-workload-boundary (a condition on iam:CreateRole, PutRolePolicy,
# AttachRolePolicy...), the boundary cannot be removed or rewritten by it, and the only managed
# policy it may attach is AWS's AWSCodeDeployRoleForLambdaLimited. Its own roles and the boundary
# are named "github-...", outside the "<prefix>-*" names it may change.

module "naming" {
  source      = "../infra_modules/naming"
  name_prefix = var.name_prefix
  aws_region  = var.aws_region
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  github_oidc_host = "token.actions.githubusercontent.com"
  account_id       = data.aws_caller_identity.current.account_id
  partition        = data.aws_partition.current.partition
  region           = var.aws_region
  prefix           = module.naming.name_prefix
  oidc_provider_arn = (
    var.create_oidc_provider
    ? aws_iam_openid_connect_provider.github[0].arn
    : data.aws_iam_openid_connect_provider.github[0].arn
  )
  boundary_arn = aws_iam_policy.workload_boundary.arn
  # The one managed policy a workload role may get: CodeDeploy's, for the two CodeDeploy roles.
  codedeploy_policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited"

  # ARN heads of the services the roles touch.
  arn = {
    cloudformation = "arn:${local.partition}:cloudformation:${local.region}:${local.account_id}"
    codedeploy     = "arn:${local.partition}:codedeploy:${local.region}:${local.account_id}"
    dynamodb       = "arn:${local.partition}:dynamodb:${local.region}:${local.account_id}"
    events         = "arn:${local.partition}:events:${local.region}:${local.account_id}"
    iam            = "arn:${local.partition}:iam::${local.account_id}"
    lambda         = "arn:${local.partition}:lambda:${local.region}:${local.account_id}"
    logs           = "arn:${local.partition}:logs:${local.region}:${local.account_id}"
    cloudwatch     = "arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}"
    ses            = "arn:${local.partition}:ses:${local.region}:${local.account_id}"
    glue           = "arn:${local.partition}:glue:${local.region}:${local.account_id}"
    athena         = "arn:${local.partition}:athena:${local.region}:${local.account_id}"
    scheduler      = "arn:${local.partition}:scheduler:${local.region}:${local.account_id}"
    s3             = "arn:${local.partition}:s3::"
    sns            = "arn:${local.partition}:sns:${local.region}:${local.account_id}"
    sqs            = "arn:${local.partition}:sqs:${local.region}:${local.account_id}"
  }
  workload_roles = "${local.arn.iam}:role/${local.prefix}-*"
  # export_infra (optional): Glue names take underscores ("<prefix>_analytics"), the export bucket
  # is "<prefix>-data-<account id>" unless export.bucket_name names another "<prefix>-..." bucket.
  glue_prefix = replace(local.prefix, "-", "_")
}

resource "aws_iam_openid_connect_provider" "github" {
  count          = var.create_oidc_provider ? 1 : 0
  url            = "https://${local.github_oidc_host}"
  client_id_list = ["sts.amazonaws.com"]
  # AWS validates GitHub's certificate itself; the list is required by the API but not used.
  thumbprint_list = ["6938fd4d98bab03faadb97b34396831e3780aea1"]
}

data "aws_iam_openid_connect_provider" "github" {
  count = var.create_oidc_provider ? 0 : 1
  url   = "https://${local.github_oidc_host}"
}
