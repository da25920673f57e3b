# GitHub Actions -> AWS through OIDC: no long-lived keys anywhere.
#
# Applied ONCE per AWS account by an administrator, from a laptop, with local state:
#
#   cd docs/deploy-role
#   terraform init
#   terraform apply -var github_repository=OWNER/REPO
#
# It creates (or reuses) the GitHub OIDC identity provider and two roles:
#   * github-<prefix>-plan:   assumable only by pull-request runs; reads resource metadata (no data,
#                             no writes) so `terraform plan` can refresh the state.
#   * github-<prefix>-deploy: assumable only by jobs of the `production` GitHub environment (the
#                             Terraform applies and the SAM deploys on main); writes only resources
#                             whose names start with "<prefix>-", plus SAM's artifact bucket. Its own
#                             name does not start with the prefix, so it cannot rewrite itself.
# Hardening left to the account: the deploy role may create "<prefix>-*" roles for the functions;
# an IAM permissions boundary on those (required through an iam:PermissionsBoundary condition)
# would stop a compromised deploy from minting a broader role.
# Put the two role ARNs (outputs) in the repository's secrets AWS_PLAN_ROLE_ARN and
# AWS_DEPLOY_ROLE_ARN (see the README's first-time setup).

terraform {
  required_version = ">= 1.6.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.60, < 6.0"
    }
  }
}

provider "aws" {
  region = var.aws_region
}

variable "github_repository" {
  description = "The repository allowed to assume the roles, as OWNER/NAME."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "github_repository must look like OWNER/NAME."
  }
}

variable "aws_region" {
  description = "Region of the stacks and workspaces (the workflows' AWS_REGION)."
  type        = string
  default     = "eu-west-2"
}

variable "name_prefix" {
  description = "The name_prefix of the Terraform workspaces and SAM stacks; every resource the deploy role may change starts with it."
  type        = string
  default     = "cv-analytics"
}

variable "deploy_environment" {
  description = "The GitHub environment whose jobs may assume the deploy role."
  type        = string
  default     = "production"
}

variable "create_oidc_provider" {
  description = "Create the account's token.actions.githubusercontent.com identity provider (false: it exists already, reuse it)."
  type        = bool
  default     = true
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  github_oidc_host = "token.actions.githubusercontent.com"
  account_id       = data.aws_caller_identity.current.account_id
  partition        = data.aws_partition.current.partition
  region           = var.aws_region
  prefix           = var.name_prefix
  oidc_provider_arn = (
    var.create_oidc_provider
    ? aws_iam_openid_connect_provider.github[0].arn
    : data.aws_iam_openid_connect_provider.github[0].arn
  )

  # ARN heads of the services the deploy role writes to.
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
    sns            = "arn:${local.partition}:sns:${local.region}:${local.account_id}"
    sqs            = "arn:${local.partition}:sqs:${local.region}:${local.account_id}"
  }
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

# ------------------------------------------------------------------ trust policies

data "aws_iam_policy_document" "trust_pull_requests" {
  statement {
    sid     = "GitHubPullRequestRuns"
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [local.oidc_provider_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.github_oidc_host}:aud"
      values   = ["sts.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.github_oidc_host}:sub"
      values   = ["repo:${var.github_repository}:pull_request"]
    }
  }
}

data "aws_iam_policy_document" "trust_deploy_environment" {
  statement {
    sid     = "GitHubDeployEnvironment"
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [local.oidc_provider_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.github_oidc_host}:aud"
      values   = ["sts.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.github_oidc_host}:sub"
      values   = ["repo:${var.github_repository}:environment:${var.deploy_environment}"]
    }
  }
}

# ------------------------------------------------------------------ plan role (read metadata)

data "aws_iam_policy_document" "plan" {
  # Describe/Get/List of configuration only, on the prefix's resources: no sqs:ReceiveMessage,
  # dynamodb:GetItem/Query/Scan or logs:GetLogEvents, so a pull request's workflow cannot read the
  # analytics data.
  statement {
    sid = "ReadResourceMetadata"
    actions = [
      "cloudwatch:DescribeAlarms",
      "cloudwatch:ListTagsForResource",
      "dynamodb:DescribeContinuousBackups",
      "dynamodb:DescribeTable",
      "dynamodb:DescribeTimeToLive",
      "dynamodb:ListTagsOfResource",
      "events:DescribeRule",
      "events:ListTagsForResource",
      "events:ListTargetsByRule",
      "iam:GetPolicy",
      "iam:GetPolicyVersion",
      "iam:GetRole",
      "iam:GetRolePolicy",
      "iam:ListAttachedRolePolicies",
      "iam:ListPolicyVersions",
      "iam:ListRolePolicies",
      "lambda:GetAlias",
      "lambda:GetFunctionConfiguration",
      "lambda:GetPolicy",
      "logs:ListTagsForResource",
      "sns:GetSubscriptionAttributes",
      "sns:GetTopicAttributes",
      "sns:ListSubscriptionsByTopic",
      "sns:ListTagsForResource",
      "sqs:GetQueueAttributes",
      "sqs:GetQueueUrl",
      "sqs:ListQueueTags",
    ]
    resources = [
      "${local.arn.cloudwatch}:alarm:${local.prefix}-*",
      "${local.arn.dynamodb}:table/${local.prefix}-*",
      "${local.arn.events}:rule/${local.prefix}-*",
      "${local.arn.iam}:role/${local.prefix}-*",
      "${local.arn.iam}:policy/${local.prefix}-*",
      "${local.arn.lambda}:function:${local.prefix}-*",
      "${local.arn.logs}:log-group:/aws/lambda/${local.prefix}-*",
      "${local.arn.sns}:${local.prefix}-*",
      "${local.arn.sqs}:${local.prefix}-*",
    ]
  }
  statement {
    sid       = "ReadEmailIdentities"
    actions   = ["ses:GetEmailIdentity", "ses:GetIdentityVerificationAttributes"]
    resources = ["${local.arn.ses}:identity/*"]
  }
  statement {
    sid       = "ReadEventSourceMappings"
    actions   = ["lambda:GetEventSourceMapping"]
    resources = ["${local.arn.lambda}:event-source-mapping:*"]
  }
  statement {
    sid = "AccountWideReads"
    # Actions without resource-level permissions.
    actions = [
      "lambda:ListEventSourceMappings",
      "logs:DescribeLogGroups",
      "ses:GetAccount",
    ]
    resources = ["*"]
  }
}

resource "aws_iam_role" "plan" {
  name                 = "github-${local.prefix}-plan"
  description          = "GitHub Actions pull-request runs of ${var.github_repository}: terraform plan (read-only)."
  assume_role_policy   = data.aws_iam_policy_document.trust_pull_requests.json
  max_session_duration = 3600
}

resource "aws_iam_role_policy" "plan" {
  name   = "read-resource-metadata"
  role   = aws_iam_role.plan.id
  policy = data.aws_iam_policy_document.plan.json
}

# ------------------------------------------------------------------ deploy role

data "aws_iam_policy_document" "deploy" {
  # --- Terraform workspaces (worker_infra, processor_infra, reporter_infra) ---
  statement {
    sid       = "Queues"
    actions   = ["sqs:*"]
    resources = ["${local.arn.sqs}:${local.prefix}-*"]
  }
  statement {
    sid     = "Tables"
    actions = ["dynamodb:*"]
    resources = [
      "${local.arn.dynamodb}:table/${local.prefix}-*",
      "${local.arn.dynamodb}:table/${local.prefix}-*/*",
    ]
  }
  statement {
    sid     = "ServiceRolesAndPolicies"
    actions = ["iam:*Role", "iam:*RolePolicy", "iam:*RolePolicies", "iam:*Policy", "iam:*PolicyVersion*", "iam:TagRole", "iam:UntagRole", "iam:ListRoleTags", "iam:TagPolicy", "iam:UntagPolicy", "iam:ListInstanceProfilesForRole", "iam:ListEntitiesForPolicy", "iam:UpdateAssumeRolePolicy"]
    resources = [
      "${local.arn.iam}:role/${local.prefix}-*",
      "${local.arn.iam}:policy/${local.prefix}-*",
    ]
  }
  statement {
    sid       = "PassServiceRoles"
    actions   = ["iam:PassRole"]
    resources = ["${local.arn.iam}:role/${local.prefix}-*"]
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["lambda.amazonaws.com", "codedeploy.amazonaws.com"]
    }
  }
  statement {
    sid       = "Schedules"
    actions   = ["events:*"]
    resources = ["${local.arn.events}:rule/${local.prefix}-*"]
  }
  statement {
    sid       = "EmailIdentities"
    actions   = ["ses:*"]
    resources = ["${local.arn.ses}:identity/*"]
  }
  statement {
    sid       = "AlertTopics"
    actions   = ["sns:*"]
    resources = ["${local.arn.sns}:${local.prefix}-*"]
  }
  statement {
    sid       = "Alarms"
    actions   = ["cloudwatch:*Alarm*", "cloudwatch:TagResource", "cloudwatch:UntagResource", "cloudwatch:ListTagsForResource"]
    resources = ["${local.arn.cloudwatch}:alarm:${local.prefix}-*"]
  }
  statement {
    sid     = "LogGroups"
    actions = ["logs:*"]
    resources = [
      "${local.arn.logs}:log-group:/aws/lambda/${local.prefix}-*",
      "${local.arn.logs}:log-group:/aws/lambda/${local.prefix}-*:*",
    ]
  }

  # --- SAM stacks (template.yaml): CloudFormation acts with these same credentials ---
  statement {
    sid     = "Stacks"
    actions = ["cloudformation:*"]
    resources = [
      "${local.arn.cloudformation}:stack/${local.prefix}-*/*",
      "${local.arn.cloudformation}:stack/aws-sam-cli-managed-default/*",
      "${local.arn.cloudformation}:changeSet/*",
    ]
  }
  statement {
    sid       = "ServerlessTransform"
    actions   = ["cloudformation:CreateChangeSet"]
    resources = ["arn:${local.partition}:cloudformation:${local.region}:aws:transform/Serverless-2016-10-31"]
  }
  statement {
    sid       = "SamArtifactBucket"
    actions   = ["s3:*"]
    resources = ["arn:${local.partition}:s3:::aws-sam-cli-managed-default-samclisourcebucket-*"]
  }
  statement {
    sid       = "SamArtifactObjects"
    actions   = ["s3:GetObject*", "s3:PutObject*", "s3:DeleteObject*", "s3:ListBucket*"]
    resources = ["arn:${local.partition}:s3:::aws-sam-cli-managed-default-samclisourcebucket-*/*"]
  }
  statement {
    sid     = "Functions"
    actions = ["lambda:*"]
    resources = [
      "${local.arn.lambda}:function:${local.prefix}-*",
      "${local.arn.lambda}:layer:${local.prefix}-*",
      "${local.arn.lambda}:layer:${local.prefix}-*:*",
    ]
  }
  statement {
    sid       = "EventSourceMappings"
    actions   = ["lambda:CreateEventSourceMapping", "lambda:UpdateEventSourceMapping", "lambda:DeleteEventSourceMapping"]
    resources = ["*"]
    condition {
      test     = "StringLike"
      variable = "lambda:FunctionArn"
      values   = ["${local.arn.lambda}:function:${local.prefix}-*"]
    }
  }
  statement {
    sid     = "CanaryDeployments"
    actions = ["codedeploy:*"]
    resources = [
      "${local.arn.codedeploy}:application:${local.prefix}-*",
      "${local.arn.codedeploy}:deploymentgroup:${local.prefix}-*/*",
      "${local.arn.codedeploy}:deploymentconfig:*",
    ]
  }

  statement {
    sid       = "ReadEventSourceMappings"
    actions   = ["lambda:GetEventSourceMapping"]
    resources = ["${local.arn.lambda}:event-source-mapping:*"]
  }

  # --- actions without resource-level permissions ---
  statement {
    sid = "AccountWideReads"
    actions = [
      "cloudformation:ListStacks",
      "cloudformation:ValidateTemplate",
      "iam:GetAccountSummary",
      "lambda:ListEventSourceMappings",
      "logs:DescribeLogGroups",
      "ses:GetAccount",
      "sqs:ListQueues",
    ]
    resources = ["*"]
  }
}

resource "aws_iam_role" "deploy" {
  name                 = "github-${local.prefix}-deploy"
  description          = "GitHub Actions jobs of ${var.github_repository} in the ${var.deploy_environment} environment: terraform apply and sam deploy."
  assume_role_policy   = data.aws_iam_policy_document.trust_deploy_environment.json
  max_session_duration = 3600
}

resource "aws_iam_role_policy" "deploy" {
  name   = "deploy-${local.prefix}"
  role   = aws_iam_role.deploy.id
  policy = data.aws_iam_policy_document.deploy.json
}

output "plan_role_arn" {
  description = "Repository secret AWS_PLAN_ROLE_ARN (pull-request plans)."
  value       = aws_iam_role.plan.arn
}

output "deploy_role_arn" {
  description = "Secret AWS_DEPLOY_ROLE_ARN of the production environment (applies and deploys)."
  value       = aws_iam_role.deploy.arn
}
