# The policy of github-<prefix>-deploy (roles.tf): the production environment's jobs (terraform
# apply, sam deploy).

data "aws_iam_policy_document" "deploy" {
  # --- Terraform workspaces (worker_infra, processor_infra, reporter_infra) ---
  # Each service's actions on the prefix's resources only (CloudFormation acts with these same
  # credentials for the SAM stacks). IAM, the one service through which rights can grow, is listed
  # action by action below, with conditions.
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

  # --- IAM: roles only with the boundary, no managed policy but CodeDeploy's ---
  statement {
    # Every write that can change what a role may do requires the role to carry the boundary:
    # the role created, or the role whose policies change (iam:PermissionsBoundary is the role's
    # boundary, or the one being set). A role without it cannot be created, given policies or
    # have its boundary replaced.
    sid = "BoundedWorkloadRoles"
    actions = [
      "iam:CreateRole",
      "iam:PutRolePermissionsBoundary",
      "iam:PutRolePolicy",
      "iam:DeleteRolePolicy",
      "iam:AttachRolePolicy",
      "iam:DetachRolePolicy",
    ]
    resources = [local.workload_roles]
    condition {
      test     = "StringEquals"
      variable = "iam:PermissionsBoundary"
      values   = [local.boundary_arn]
    }
  }
  statement {
    # Reads and changes that grant nothing (the boundary caps whatever a trust policy lets in).
    sid = "ManageWorkloadRoles"
    actions = [
      "iam:DeleteRole",
      "iam:GetRole",
      "iam:GetRolePolicy",
      "iam:ListAttachedRolePolicies",
      "iam:ListInstanceProfilesForRole",
      "iam:ListRolePolicies",
      "iam:ListRoleTags",
      "iam:TagRole",
      "iam:UntagRole",
      "iam:UpdateAssumeRolePolicy",
      "iam:UpdateRole",
      "iam:UpdateRoleDescription",
    ]
    resources = [local.workload_roles]
  }
  statement {
    # The chatbot's producer policy (worker_infra). The deploy role may write it but never attach
    # it (or anything of its own) to a role.
    sid = "ProducerPolicies"
    actions = [
      "iam:CreatePolicy",
      "iam:CreatePolicyVersion",
      "iam:DeletePolicy",
      "iam:DeletePolicyVersion",
      "iam:GetPolicy",
      "iam:GetPolicyVersion",
      "iam:ListEntitiesForPolicy",
      "iam:ListPolicyVersions",
      "iam:TagPolicy",
      "iam:UntagPolicy",
    ]
    resources = ["${local.arn.iam}:policy/${local.prefix}-*"]
  }
  statement {
    sid       = "PassWorkloadRoles"
    actions   = ["iam:PassRole"]
    resources = [local.workload_roles]
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      # The functions, CodeDeploy, and the export schedule (export_infra).
      values = ["lambda.amazonaws.com", "codedeploy.amazonaws.com", "scheduler.amazonaws.com"]
    }
  }
  statement {
    # The only managed policy a workload role may get is CodeDeploy's (the two CodeDeploy roles).
    sid       = "AttachOnlyCodeDeployPolicy"
    effect    = "Deny"
    actions   = ["iam:AttachRolePolicy"]
    resources = ["*"]
    condition {
      test     = "ArnNotEquals"
      variable = "iam:PolicyARN"
      values   = [local.codedeploy_policy_arn]
    }
  }
  statement {
    # Belt and braces: whatever the statements above allow, the boundary stays on every role, and
    # neither the boundary policy nor the pipelines' own roles can be changed.
    sid    = "KeepTheBoundaryAndThePipelineRoles"
    effect = "Deny"
    actions = [
      "iam:CreatePolicyVersion",
      "iam:DeletePolicy",
      "iam:DeletePolicyVersion",
      "iam:SetDefaultPolicyVersion",
      "iam:TagPolicy",
      "iam:UntagPolicy",
      "iam:AttachRolePolicy",
      "iam:PutRolePolicy",
      "iam:UpdateAssumeRolePolicy",
      "iam:PutRolePermissionsBoundary",
      "iam:DeleteRole",
    ]
    resources = [
      local.boundary_arn,
      "${local.arn.iam}:role/github-${local.prefix}-*",
    ]
  }
  statement {
    sid       = "NeverRemoveABoundary"
    effect    = "Deny"
    actions   = ["iam:DeleteRolePermissionsBoundary"]
    resources = ["*"]
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
    actions   = ["cloudwatch:DeleteAlarms", "cloudwatch:DescribeAlarms", "cloudwatch:PutMetricAlarm", "cloudwatch:TagResource", "cloudwatch:UntagResource", "cloudwatch:ListTagsForResource"]
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

  # --- export_infra (optional workspace): bucket, catalogue, workgroup, schedule ---
  statement {
    # Bucket-level actions only: the deploy role configures the bucket and is given no object
    # action (an IAM "*" also matches object ARNs, so the actions are listed, not "s3:*").
    sid = "ExportBucket"
    actions = [
      "s3:CreateBucket",
      "s3:DeleteBucket",
      "s3:DeleteBucketPolicy",
      "s3:GetAccelerateConfiguration",
      "s3:GetBucket*",
      "s3:GetEncryptionConfiguration",
      "s3:GetLifecycleConfiguration",
      "s3:GetReplicationConfiguration",
      "s3:ListBucket",
      "s3:PutBucket*",
      "s3:PutEncryptionConfiguration",
      "s3:PutLifecycleConfiguration",
    ]
    resources = ["${local.arn.s3}:${local.prefix}-*"]
  }
  statement {
    sid     = "ExportCatalogue"
    actions = ["glue:*"]
    resources = [
      "${local.arn.glue}:catalog",
      "${local.arn.glue}:database/${local.glue_prefix}_*",
      "${local.arn.glue}:table/${local.glue_prefix}_*/*",
      # Deleting a database deletes its functions: DeleteDatabase is authorised on them too.
      "${local.arn.glue}:userDefinedFunction/${local.glue_prefix}_*/*",
    ]
  }
  statement {
    sid       = "ExportWorkgroup"
    actions   = ["athena:*"]
    resources = ["${local.arn.athena}:workgroup/${local.prefix}-*"]
  }
  statement {
    sid       = "ExportSchedule"
    actions   = ["scheduler:*"]
    resources = ["${local.arn.scheduler}:schedule/default/${local.prefix}-*"]
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
