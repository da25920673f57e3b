# The reporter's delivery log: one item per week whose email went out (Powertools Idempotency's
# layout: key "id", TTL "expiration"), so a retried or duplicated invocation never sends a week
# twice. The SAM template passes its name to the function as IDEMPOTENCY_TABLE
# ("<prefix>-reporter-idempotency", derived from NamePrefix there too).
resource "aws_dynamodb_table" "reporter_idempotency" {
  #checkov:skip=CKV_AWS_119:Encrypted with the AWS-managed key (aws/dynamodb): no $1/month customer-managed key for a few dozen items a year, and no kms:Decrypt grant to add to the reporter's role.
  name         = "${var.name_prefix}-reporter-idempotency"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "id"

  attribute {
    name = "id"
    type = "S"
  }

  ttl {
    attribute_name = "expiration"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled = true
  }
}

data "aws_iam_policy_document" "reporter_idempotency" {
  statement {
    sid       = "DeliveryLog"
    effect    = "Allow"
    actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"]
    resources = [aws_dynamodb_table.reporter_idempotency.arn]
  }
}

resource "aws_iam_role_policy" "reporter_idempotency" {
  name   = "delivery-log"
  role   = aws_iam_role.reporter.id
  policy = data.aws_iam_policy_document.reporter_idempotency.json
}

output "idempotency_table_name" {
  description = "The reporter's delivery log (one item per week sent); the SAM template derives the same name from NamePrefix."
  value       = aws_dynamodb_table.reporter_idempotency.name
}
