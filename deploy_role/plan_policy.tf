# The policy of github-<prefix>-plan (roles.tf): pull requests and the plan of a push to main.
# Reads configuration only.

data "aws_iam_policy_document" "plan" {
  # Describe/Get/List of configuration only, on the prefix's resources: no sqs:ReceiveMessage,
  # dynamodb:GetItem/Query/Scan or logs:GetLogEvents, so a pull request's workflow cannot read the
  # analytics data.
  statement {
    sid = "ReadResourceMetadata"
    actions = [
      "cloudformation:DescribeStacks",
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
      "${local.arn.cloudformation}:stack/${local.prefix}-*/*",
      "${local.arn.cloudwatch}:alarm:${local.prefix}-*",
      "${local.arn.dynamodb}:table/${local.prefix}-*",
      "${local.arn.events}:rule/${local.prefix}-*",
      local.workload_roles,
      "${local.arn.iam}:policy/${local.prefix}-*",
      "${local.arn.lambda}:function:${local.prefix}-*",
      "${local.arn.logs}:log-group:/aws/lambda/${local.prefix}-*",
      "${local.arn.sns}:${local.prefix}-*",
      "${local.arn.sqs}:${local.prefix}-*",
    ]
  }
  statement {
    # export_infra's refresh: the bucket's configuration (never its objects), the catalogue, the
    # workgroup and its named queries, the schedule.
    sid = "ReadExportMetadata"
    actions = [
      "athena:GetNamedQuery",
      "athena:GetWorkGroup",
      "athena:ListNamedQueries",
      "athena:ListTagsForResource",
      "glue:GetDatabase",
      # The provider's refresh of a catalogue table reads its partition indexes too.
      "glue:GetPartitionIndexes",
      "glue:GetTable",
      "glue:GetTags",
      "s3:GetAccelerateConfiguration",
      "s3:GetBucket*",
      "s3:GetEncryptionConfiguration",
      "s3:GetLifecycleConfiguration",
      "s3:GetReplicationConfiguration",
      "s3:ListBucket",
      "scheduler:GetSchedule",
    ]
    resources = [
      "${local.arn.athena}:workgroup/${local.prefix}-*",
      "${local.arn.glue}:catalog",
      "${local.arn.glue}:database/${local.glue_prefix}_*",
      "${local.arn.glue}:table/${local.glue_prefix}_*/*",
      "${local.arn.s3}:${local.prefix}-*",
      "${local.arn.scheduler}:schedule/default/${local.prefix}-*",
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
