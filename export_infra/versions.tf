# As in every root (worker_infra/versions.tf): an exact provider version, and the same committed
# .terraform.lock.hcl, so the provider cannot change between a plan and its apply.
terraform {
  required_version = ">= 1.6.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
  }

  # Production state: HCP Terraform (remote state with locking). The organization comes from
  # TF_CLOUD_ORGANIZATION and the workspace from TF_WORKSPACE (one workspace per service, carrying
  # this tag); nothing account-specific is written here. Local runs and the tests replace this
  # block with local state through a generated `*_override.tf` (cv_analytics/infra/terraform.py).
  cloud {
    workspaces {
      tags = ["cv-analytics-export"]
    }
  }
}
