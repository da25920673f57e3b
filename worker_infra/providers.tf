# Each root module configures its own provider: Terraform lets only a root configure one (a shared
# module holding this block would have to become the root, and with it the state). So these ~10
# lines stay repeated in worker_infra, processor_infra and reporter_infra; what they share lives in
# ../infra_modules/naming. Against an emulator, cv_analytics/infra/terraform.py adds the skip_*
# switches in a generated provider_override.tf: production has none to leave on by mistake.
provider "aws" {
  region = var.aws_region

  default_tags {
    tags = merge(var.tags, {
      Project   = "cv-analytics"
      Service   = "worker"
      ManagedBy = "terraform"
    })
  }
}
