data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  ttl_attribute           = "expiresAt"
  interim_table_name      = "${var.name_prefix}-query-events"
  analytics_table_name    = "${var.name_prefix}-analytics"
  processor_function_name = "${var.name_prefix}-processor"
  expiry_function_name    = "${var.name_prefix}-expiry"
  log_group_arn_prefix    = "arn:${data.aws_partition.current.partition}:logs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:log-group:/aws/lambda"
}

# The worker's queues, found by name: this workspace does not read the worker's state, so the two
# can live in separate state workspaces with separate permissions.
data "aws_sqs_queue" "events" {
  name = "${var.name_prefix}-events.fifo"
}

data "aws_sqs_queue" "dead_letter" {
  name = "${var.name_prefix}-events-dlq.fifo"
}
