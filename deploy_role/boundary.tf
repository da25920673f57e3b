# The permissions boundary of every workload role (the functions' execution roles and the
# CodeDeploy roles of processor_infra and reporter_infra): the most any of them can ever do,
# whatever policy a deploy puts on it. A role's effective rights are its policies AND this.

data "aws_iam_policy_document" "workload_boundary" {
  statement {
    sid       = "Queues"
    actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes", "sqs:SendMessage"]
    resources = ["${local.arn.sqs}:${local.prefix}-*"]
  }
  statement {
    sid     = "Tables"
    actions = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Query"]
    resources = [
      "${local.arn.dynamodb}:table/${local.prefix}-*",
      "${local.arn.dynamodb}:table/${local.prefix}-*/index/*",
    ]
  }
  statement {
    sid       = "TableStreams"
    actions   = ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"]
    resources = ["${local.arn.dynamodb}:table/${local.prefix}-*/stream/*"]
  }
  statement {
    # No resource-level permissions for ListStreams (see processor_infra/iam.tf).
    sid       = "ListStreams"
    actions   = ["dynamodb:ListStreams"]
    resources = ["*"]
  }
  statement {
    # export_infra's schedule role: DynamoDB writes a table export into the bucket as its caller.
    sid       = "ExportTables"
    actions   = ["dynamodb:ExportTableToPointInTime"]
    resources = ["${local.arn.dynamodb}:table/${local.prefix}-*"]
  }
  statement {
    sid       = "WriteExports"
    actions   = ["s3:PutObject", "s3:PutObjectAcl", "s3:AbortMultipartUpload"]
    resources = ["${local.arn.s3}:${local.prefix}-*/*"]
  }
  statement {
    sid       = "SendReports"
    actions   = ["ses:SendEmail", "ses:SendRawEmail"]
    resources = ["${local.arn.ses}:identity/*"]
  }
  statement {
    sid     = "FunctionLogs"
    actions = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]
    resources = [
      "${local.arn.logs}:log-group:/aws/lambda/${local.prefix}-*",
      "${local.arn.logs}:log-group:/aws/lambda/${local.prefix}-*:*",
    ]
  }
  statement {
    # CodeDeploy moving a stack's live aliases (AWSCodeDeployRoleForLambdaLimited, on our functions).
    sid     = "ShiftLiveAliases"
    actions = ["lambda:GetAlias", "lambda:UpdateAlias", "lambda:GetProvisionedConcurrencyConfig"]
    resources = [
      "${local.arn.lambda}:function:${local.prefix}-*",
      "${local.arn.lambda}:function:${local.prefix}-*:*",
    ]
  }
  statement {
    # ... and reading the stacks' rollback alarms (reporter_infra's "<prefix>-<function>-errors").
    sid       = "ReadRollbackAlarms"
    actions   = ["cloudwatch:DescribeAlarms"]
    resources = ["${local.arn.cloudwatch}:alarm:${local.prefix}-*"]
  }
}

resource "aws_iam_policy" "workload_boundary" {
  name        = module.naming.permissions_boundary_name
  description = "Permissions boundary of every ${local.prefix} workload role: the most a function or CodeDeploy role can do."
  policy      = data.aws_iam_policy_document.workload_boundary.json
}
