output "queue_name" {
  description = "Name of the FIFO events queue."
  value       = aws_sqs_queue.events.name
}

output "queue_url" {
  description = "URL of the FIFO events queue: the edge client's queue_url setting."
  value       = aws_sqs_queue.events.url
}

output "queue_arn" {
  description = "ARN of the FIFO events queue: the processor stack's SAM parameter QueueArn."
  value       = aws_sqs_queue.events.arn
}

output "dead_letter_queue_name" {
  description = "Name of the FIFO dead-letter queue."
  value       = aws_sqs_queue.dead_letter.name
}

output "dead_letter_queue_url" {
  description = "URL of the FIFO dead-letter queue: the processor stack's SAM parameter DeadLetterQueueUrl."
  value       = aws_sqs_queue.dead_letter.url
}

output "dead_letter_queue_arn" {
  description = "ARN of the FIFO dead-letter queue."
  value       = aws_sqs_queue.dead_letter.arn
}

output "visibility_timeout_seconds" {
  description = "Visibility timeout of the events queue (6 x processor_timeout_seconds)."
  value       = aws_sqs_queue.events.visibility_timeout_seconds
}

output "producer_policy_arn" {
  description = "ARN of the managed policy to attach to the chatbot's role: sqs:SendMessage on the events queue only."
  value       = aws_iam_policy.producer.arn
}
