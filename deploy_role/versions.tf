terraform {
  required_version = ">= 1.6.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
  }

  # Local state on purpose: applied once per AWS account by an administrator, before any pipeline
  # exists (it creates the roles the pipelines assume). It holds no secret.
}

# Only the region: credentials are the administrator's own.
provider "aws" {
  region = var.aws_region

  default_tags {
    tags = {
      Project   = "cv-analytics"
      Service   = "deploy-role"
      ManagedBy = "terraform"
    }
  }
}
