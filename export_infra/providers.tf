# As in the other roots (see worker_infra/providers.tf): the provider is configured here, once per
# root; against an emulator cv_analytics/infra/terraform.py adds the skip_* switches in a generated
# provider_override.tf, so production has none to leave on by mistake.
provider "aws" {
  region = var.aws_region

  default_tags {
    tags = merge(var.tags, {
      Project   = "cv-analytics"
      Service   = "export"
      ManagedBy = "terraform"
    })
  }
}
