# The role CodeDeploy assumes to shift one SAM stack's `live` aliases to a new version and to read
# the rollback alarms (template.yaml: DeploymentPreference.Role, from the workspace's output
# codedeploy_role_arn). Terraform owns it, like every other role of the project, so that it carries
# the permissions boundary: left to itself SAM creates this role inside the stack, without one,
# and the deploy role may only create roles that carry the boundary (deploy_role/).
#
# A module because processor_infra and reporter_infra each need one (one per stack and blast
# radius); each root instantiates it in its own state.

variable "name" {
  description = "Name of the role, \"<prefix>-<service>-codedeploy\"."
  type        = string
}

variable "permissions_boundary_arn" {
  description = "The permissions boundary of the role (null: none)."
  type        = string
  default     = null
}

data "aws_partition" "current" {}

data "aws_iam_policy_document" "trust" {
  statement {
    sid     = "CodeDeployAssumesRole"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["codedeploy.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  name                 = var.name
  description          = "CodeDeploy shifts the live aliases of one cv-analytics SAM stack and rolls back on its alarms."
  assume_role_policy   = data.aws_iam_policy_document.trust.json
  permissions_boundary = var.permissions_boundary_arn
}

# AWS's own policy for Lambda deployments without hooks' S3 bundles or SNS (the "Limited" variant):
# GetAlias/UpdateAlias/GetProvisionedConcurrencyConfig and DescribeAlarms. The boundary caps it.
resource "aws_iam_role_policy_attachment" "this" {
  role       = aws_iam_role.this.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited"
}

output "arn" {
  description = "ARN of the role: the SAM stack's CodeDeployRoleArn parameter."
  value       = aws_iam_role.this.arn
}

output "name" {
  description = "Name of the role."
  value       = aws_iam_role.this.name
}
