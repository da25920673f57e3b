variable "github_repository" {
  description = "The repository allowed to assume the roles, as OWNER/NAME."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "github_repository must look like OWNER/NAME."
  }
}

# name_prefix and aws_region: deploy.toml's name_prefix and region, like every workspace's (no
# default, so a forgotten one stops the apply); validated by ../infra_modules/naming.
variable "name_prefix" {
  description = "The name_prefix of the workspaces and stacks (deploy.toml); every resource the deploy role may change starts with it."
  type        = string
}

variable "aws_region" {
  description = "Region of the stacks and workspaces (deploy.toml's region)."
  type        = string
}

variable "deploy_environment" {
  description = "The GitHub environment whose jobs may assume the deploy role."
  type        = string
  default     = "production"

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{1,255}$", var.deploy_environment))
    error_message = "deploy_environment must be a GitHub environment name."
  }
}

variable "main_branch" {
  description = "The branch whose pushes plan (read-only role) before the production environment applies."
  type        = string
  default     = "main"

  validation {
    condition     = can(regex("^[A-Za-z0-9_./-]{1,255}$", var.main_branch))
    error_message = "main_branch must be a branch name."
  }
}

variable "create_oidc_provider" {
  description = "Create the account's token.actions.githubusercontent.com identity provider (false: it exists already, reuse it)."
  type        = bool
  default     = true
}
