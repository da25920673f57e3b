# Every name derived from the prefix, defined once for all workspaces (no state, no resources).
module "naming" {
  source      = "../infra_modules/naming"
  name_prefix = var.name_prefix
  aws_region  = var.aws_region
}

locals {
  queue_name             = module.naming.queue_name
  dead_letter_queue_name = module.naming.dead_letter_queue_name
  # AWS: the visibility timeout of a Lambda event source queue should be at least six times the
  # function timeout, so that a batch being retried is not handed to a second invocation.
  visibility_timeout_seconds = 6 * var.processor_timeout_seconds
  # The event contract and the edge client keep every body within 256 KiB. Set explicitly: AWS's
  # default for a new queue is now 1 MiB, the provider's 256 KiB.
  max_message_size = 262144
}

# Where a message lands after max_receive_count failed receives, and where the processor
# quarantines events that break the contract. Kept 14 days for an operator to inspect and replay.
resource "aws_sqs_queue" "dead_letter" {
  #checkov:skip=CKV2_AWS_73:SQS-managed SSE (SSE-SQS) encrypts at rest with no KMS key to pay for or to grant to the edge client and the processor; a customer-managed key adds no protection for this non-secret analytics data.
  name                      = local.dead_letter_queue_name
  fifo_queue                = true
  message_retention_seconds = var.dead_letter_retention_seconds
  max_message_size          = local.max_message_size
  sqs_managed_sse_enabled   = true
}

resource "aws_sqs_queue" "events" {
  #checkov:skip=CKV2_AWS_73:SQS-managed SSE (SSE-SQS) encrypts at rest with no KMS key to pay for or to grant to the edge client and the processor; a customer-managed key adds no protection for this non-secret analytics data.
  name       = local.queue_name
  fifo_queue = true
  # High-throughput FIFO: deduplication and ordering per message group (one group per session).
  deduplication_scope        = "messageGroup"
  fifo_throughput_limit      = "perMessageGroupId"
  receive_wait_time_seconds  = var.receive_wait_time_seconds
  visibility_timeout_seconds = local.visibility_timeout_seconds
  max_message_size           = local.max_message_size
  sqs_managed_sse_enabled    = true

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dead_letter.arn
    maxReceiveCount     = var.max_receive_count
  })
}

# Only the events queue may use the dead-letter queue as its DLQ.
resource "aws_sqs_queue_redrive_allow_policy" "dead_letter" {
  count     = var.restrict_dead_letter_sources ? 1 : 0
  queue_url = aws_sqs_queue.dead_letter.id

  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.events.arn]
  })
}
