"""Driving the Terraform root modules (worker_infra, processor_infra, reporter_infra)."""
