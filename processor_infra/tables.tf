# Correlation state: the event that arrived first (a response that overtook its query) waits here
# for at most the correlation window (TTL). The stream carries only the old image: the expiry
# function needs the expired item, and reads nothing else from the stream.
resource "aws_dynamodb_table" "interim" {
  #checkov:skip=CKV_AWS_28:Point-in-time recovery is pointless for correlation state that lives at most 24 h; a lost item is recovered by SQS redelivery, not by a restore.
  #checkov:skip=CKV_AWS_119:Encrypted with the AWS-managed key (aws/dynamodb): no $1/month customer-managed key, and no kms:Decrypt grants to add to the processor and expiry roles.
  name                        = local.interim_table_name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "requestId"
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = "requestId"
    type = "S"
  }

  ttl {
    attribute_name = local.ttl_attribute
    enabled        = true
  }

  stream_enabled   = true
  stream_view_type = "OLD_IMAGE"

  server_side_encryption {
    enabled = true
  }
}

# One record per question. Its one index, week-index, is read by the weekly report (and by a data
# export, which reads keys through it and fetches whole items with BatchGetItem). It projects only
# what those readers need: the attribute list is defined once, in Python
# (analytics_contract.storage.WEEK_INDEX_ATTRIBUTES), and a test keeps this copy equal to it. The
# answer text, the reasoning and the metadata stay in the table: an index entry stays under 1 KB
# (one write unit), and an update that touches none of these attributes costs no index write.
resource "aws_dynamodb_table" "analytics" {
  #checkov:skip=CKV_AWS_119:Encrypted with the AWS-managed key (aws/dynamodb): no $1/month customer-managed key, and no kms:Decrypt grants to add to the processor, expiry and reporter roles.
  name                        = local.analytics_table_name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "requestId"
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = "requestId"
    type = "S"
  }

  attribute {
    name = "week"
    type = "S"
  }

  attribute {
    name = "timestamp"
    type = "N"
  }

  global_secondary_index {
    name            = "week-index"
    hash_key        = "week"
    range_key       = "timestamp"
    projection_type = "INCLUDE"
    non_key_attributes = [
      "day",
      "status",
      "sessionId",
      "query",
      "matchType",
      "matchScore",
      "processingTimeMs",
      "responseTimestamp",
      "tokens",
      "model",
      "variant",
      "error",
      "feedback",
      "recordedAt",
      "expiresAt",
    ]
  }

  ttl {
    attribute_name = local.ttl_attribute
    enabled        = true
  }

  point_in_time_recovery {
    enabled = var.point_in_time_recovery
  }

  server_side_encryption {
    enabled = true
  }
}
