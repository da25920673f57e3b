# What the chatbot's edge client may do: send events to the queue, nothing else. SendMessageBatch
# is authorised by sqs:SendMessage; the client is configured with the queue URL, so it needs no
# sqs:GetQueueUrl. Attach this policy to the chatbot's own role.
data "aws_iam_policy_document" "producer" {
  statement {
    sid       = "SendAnalyticsEvents"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.events.arn]
  }
}

resource "aws_iam_policy" "producer" {
  name        = "${var.name_prefix}-events-producer"
  description = "Lets the chatbot's edge client send analytics events to ${local.queue_name} and nothing else."
  policy      = data.aws_iam_policy_document.producer.json
}
