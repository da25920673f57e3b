# The two roles GitHub Actions assumes through OIDC. The token's subject names the repository and
# what the job is; each role trusts exactly the subjects of the jobs that use it.

locals {
  github_roles = {
    plan = {
      description = "GitHub Actions runs of ${var.github_repository} (pull requests, pushes to ${var.main_branch}): terraform plan, read-only."
      # Pull requests, and the plan of a push to main (before the production environment's
      # approval; the apply then runs as the deploy role).
      subjects = [
        "repo:${var.github_repository}:pull_request",
        "repo:${var.github_repository}:ref:refs/heads/${var.main_branch}",
      ]
      policy_name = "read-resource-metadata"
      policy      = data.aws_iam_policy_document.plan.json
    }
    deploy = {
      description = "GitHub Actions jobs of ${var.github_repository} in the ${var.deploy_environment} environment: terraform apply and sam deploy."
      subjects    = ["repo:${var.github_repository}:environment:${var.deploy_environment}"]
      policy_name = "deploy-${local.prefix}"
      policy      = data.aws_iam_policy_document.deploy.json
    }
  }
}

data "aws_iam_policy_document" "trust" {
  for_each = local.github_roles

  statement {
    sid     = "GitHubActions"
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [local.oidc_provider_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.github_oidc_host}:aud"
      values   = ["sts.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.github_oidc_host}:sub"
      values   = each.value.subjects
    }
  }
}

# github-<prefix>-plan and github-<prefix>-deploy: outside the "<prefix>-*" names the deploy role
# may change, so a deploy cannot widen its own rights.
resource "aws_iam_role" "github" {
  for_each             = local.github_roles
  name                 = "github-${local.prefix}-${each.key}"
  description          = each.value.description
  assume_role_policy   = data.aws_iam_policy_document.trust[each.key].json
  max_session_duration = 3600
}

resource "aws_iam_role_policy" "github" {
  for_each = local.github_roles
  name     = each.value.policy_name
  role     = aws_iam_role.github[each.key].id
  policy   = each.value.policy
}
