data "aws_iam_policy_document" "lambda_assume_role" {
  statement {
    sid     = "LambdaAssumesRole"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "reporter" {
  statement {
    sid       = "QueryWeekIndex"
    effect    = "Allow"
    actions   = ["dynamodb:Query"]
    resources = ["${data.aws_dynamodb_table.analytics.arn}/index/${local.week_index}"]
  }

  statement {
    sid     = "SendReportFromSender"
    effect  = "Allow"
    actions = ["ses:SendEmail"]
    # SES authorises a send against the sender's identity and, in the sandbox, against each
    # recipient's verified identity as well. The conditions keep it to the configured sender and
    # recipients whichever identity is being checked.
    resources = concat(
      [aws_sesv2_email_identity.sender.arn],
      [for identity in aws_sesv2_email_identity.recipient : identity.arn],
    )

    condition {
      test     = "StringEquals"
      variable = "ses:FromAddress"
      values   = [var.report_sender]
    }

    condition {
      test     = "ForAllValues:StringEquals"
      variable = "ses:Recipients"
      values   = var.report_recipients
    }
  }

  statement {
    sid       = "WriteOwnLogs"
    effect    = "Allow"
    actions   = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${local.arn_prefix}:logs:${local.region}:${local.account_id}:log-group:/aws/lambda/${local.reporter_function_name}", "${local.arn_prefix}:logs:${local.region}:${local.account_id}:log-group:/aws/lambda/${local.reporter_function_name}:*"]
  }
}

resource "aws_iam_role" "reporter" {
  name                 = "${local.reporter_function_name}-role"
  description          = "Execution role of ${local.reporter_function_name}: read a week of the analytics table, email the report."
  assume_role_policy   = data.aws_iam_policy_document.lambda_assume_role.json
  permissions_boundary = local.permissions_boundary_arn
}

resource "aws_iam_role_policy" "reporter" {
  name   = "least-privilege"
  role   = aws_iam_role.reporter.id
  policy = data.aws_iam_policy_document.reporter.json
}

# CodeDeploy: shifts the reporter's live alias (SAM DeploymentPreference.Role).
module "codedeploy_role" {
  source                   = "../infra_modules/codedeploy_role"
  name                     = "${var.name_prefix}-reporter-codedeploy"
  permissions_boundary_arn = local.permissions_boundary_arn
}
