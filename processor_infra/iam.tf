# Two execution roles, one per function: the processor never reads the stream and the expiry
# function never reads the queues or the interim table, so neither gets the other's rights.

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

# --- processor: SQS event source -> analytics table (+ interim table), quarantine to the DLQ ---

data "aws_iam_policy_document" "processor" {
  statement {
    sid    = "ConsumeEventsQueue"
    effect = "Allow"
    # What the Lambda event source mapping calls on the queue.
    actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]
    resources = [data.aws_sqs_queue.events.arn]
  }

  statement {
    sid       = "QuarantineInvalidEvents"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = [data.aws_sqs_queue.dead_letter.arn]
  }

  # The calls of processor/repository.py, table by table. Conditional writes read the existing
  # record through ReturnValuesOnConditionCheckFailure (part of the write); GetItem on the
  # analytics table is the consistent read that decides, on a message's last receive, whether a
  # failed call had taken effect before it is quarantined.
  statement {
    sid       = "WriteAnalyticsRecords"
    effect    = "Allow"
    actions   = ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:GetItem"]
    resources = [aws_dynamodb_table.analytics.arn]
  }

  # Parks (UpdateItem: one item per request holds a response and/or a feedback), their reads and
  # removal, and the dead-letter notes (PutItem) of messages whose reason could not reach the DLQ.
  statement {
    sid    = "ParkEarlyEvents"
    effect = "Allow"
    actions = [
      "dynamodb:PutItem",
      "dynamodb:UpdateItem",
      "dynamodb:GetItem",
      "dynamodb:DeleteItem",
    ]
    resources = [aws_dynamodb_table.interim.arn]
  }

  statement {
    sid       = "WriteOwnLogs"
    effect    = "Allow"
    actions   = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${local.log_group_arn_prefix}/${local.processor_function_name}", "${local.log_group_arn_prefix}/${local.processor_function_name}:*"]
  }
}

resource "aws_iam_role" "processor" {
  name                 = "${local.processor_function_name}-role"
  description          = "Execution role of ${local.processor_function_name}: consume the events queue, write the analytics and interim tables, quarantine in the DLQ."
  assume_role_policy   = data.aws_iam_policy_document.lambda_assume_role.json
  permissions_boundary = local.permissions_boundary_arn
}

resource "aws_iam_role_policy" "processor" {
  name   = "least-privilege"
  role   = aws_iam_role.processor.id
  policy = data.aws_iam_policy_document.processor.json
}

# --- expiry: interim table stream (TTL deletions) -> analytics table ---

data "aws_iam_policy_document" "expiry" {
  statement {
    sid       = "ReadInterimStream"
    effect    = "Allow"
    actions   = ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"]
    resources = [aws_dynamodb_table.interim.stream_arn]
  }

  # The event source mapping's poller also calls ListStreams (Lambda checks the role for it when
  # the mapping is created). ListStreams supports no resource-level permissions (the Service
  # Authorization Reference lists no resource type for it), so a statement naming a stream ARN
  # would never match: it can only be granted on "*". It lists stream ARNs and reads no data;
  # the least-privilege tests (tests/infra) accept "*" for exactly this statement.
  statement {
    sid       = "ListStreams"
    effect    = "Allow"
    actions   = ["dynamodb:ListStreams"]
    resources = ["*"]
  }

  # processor/expiry.py through processor/repository.py: complete (UpdateItem) or insert the
  # orphan (PutItem).
  statement {
    sid       = "CompleteOrOrphanRecords"
    effect    = "Allow"
    actions   = ["dynamodb:PutItem", "dynamodb:UpdateItem"]
    resources = [aws_dynamodb_table.analytics.arn]
  }

  # An expired park that conflicts with its record (same event, other content) is kept as
  # evidence in the DLQ (processor/quarantine.py), never dropped.
  statement {
    sid       = "KeepConflictEvidence"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = [data.aws_sqs_queue.dead_letter.arn]
  }

  statement {
    sid       = "WriteOwnLogs"
    effect    = "Allow"
    actions   = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${local.log_group_arn_prefix}/${local.expiry_function_name}", "${local.log_group_arn_prefix}/${local.expiry_function_name}:*"]
  }
}

resource "aws_iam_role" "expiry" {
  name                 = "${local.expiry_function_name}-role"
  description          = "Execution role of ${local.expiry_function_name}: read the interim table's stream, complete or orphan analytics records, keep conflicts in the DLQ."
  assume_role_policy   = data.aws_iam_policy_document.lambda_assume_role.json
  permissions_boundary = local.permissions_boundary_arn
}

resource "aws_iam_role_policy" "expiry" {
  name   = "least-privilege"
  role   = aws_iam_role.expiry.id
  policy = data.aws_iam_policy_document.expiry.json
}

# --- CodeDeploy: shifts the live aliases of the processor stack (SAM DeploymentPreference.Role) ---

module "codedeploy_role" {
  source                   = "../infra_modules/codedeploy_role"
  name                     = "${var.name_prefix}-processor-codedeploy"
  permissions_boundary_arn = local.permissions_boundary_arn
}
