# The sender address. AWS emails it a verification link; until it is clicked SES refuses to send.
resource "aws_sesv2_email_identity" "sender" {
  email_identity = var.report_sender
}

# In the SES sandbox every recipient must be a verified identity too.
resource "aws_sesv2_email_identity" "recipient" {
  for_each       = local.recipient_identities
  email_identity = each.value
}
