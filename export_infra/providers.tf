provider "aws" {
  region = var.aws_region

  # Off in production. Local runs against an AWS emulator (moto) set them to true.
  skip_credentials_validation = var.skip_credentials_validation
  skip_requesting_account_id  = var.skip_requesting_account_id
  skip_metadata_api_check     = var.skip_metadata_api_check

  default_tags {
    tags = merge(var.tags, {
      Project   = "cv-analytics"
      Service   = "export"
      ManagedBy = "terraform"
    })
  }
}
