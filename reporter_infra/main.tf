data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  reporter_function_name  = "${var.name_prefix}-reporter"
  processor_function_name = "${var.name_prefix}-processor"
  expiry_function_name    = "${var.name_prefix}-expiry"
  queue_name              = "${var.name_prefix}-events.fifo"
  dead_letter_queue_name  = "${var.name_prefix}-events-dlq.fifo"
  live_alias              = "live"
  week_index              = "week-index"

  arn_prefix = "arn:${data.aws_partition.current.partition}"
  region     = data.aws_region.current.name
  account_id = data.aws_caller_identity.current.account_id

  # Recipients with an identity of their own (sandbox only); the sender's identity already exists.
  recipient_identities = var.ses_sandbox ? toset([for address in var.report_recipients : address if address != var.report_sender]) : toset([])
}

# The processor workspace's analytics table, found by name (no cross-workspace state reads).
data "aws_dynamodb_table" "analytics" {
  name = "${var.name_prefix}-analytics"
}
