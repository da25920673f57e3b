output "plan_role_arn" {
  description = "Repository secret AWS_PLAN_ROLE_ARN (pull-request plans and the plan of a push to main)."
  value       = aws_iam_role.github["plan"].arn
}

output "deploy_role_arn" {
  description = "Secret AWS_DEPLOY_ROLE_ARN of the production environment (applies and deploys)."
  value       = aws_iam_role.github["deploy"].arn
}

output "permissions_boundary_arn" {
  description = "The boundary every workload role carries (the workspaces derive the same ARN from name_prefix)."
  value       = aws_iam_policy.workload_boundary.arn
}
