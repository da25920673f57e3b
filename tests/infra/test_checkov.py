"""checkov over the Terraform workspaces: no failed check, and every accepted finding is
suppressed in the code next to the resource, with its reason (``#checkov:skip=CKV_...:reason``).
The list of accepted findings is pinned here so that a new suppression is a reviewed change."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from cv_analytics.infra import terraform as tf

pytestmark = pytest.mark.infra

CHECKOV = tf.REPO_ROOT / ".tools" / "checkov" / "bin" / "checkov"

# (resource, check) pairs accepted in each workspace; the reasons live in the .tf files.
ACCEPTED: dict[str, set[tuple[str, str]]] = {
    "worker": {
        # SSE-SQS instead of a customer-managed KMS key.
        ("aws_sqs_queue.dead_letter", "CKV2_AWS_73"),
        ("aws_sqs_queue.events", "CKV2_AWS_73"),
    },
    "processor": {
        # AWS-managed DynamoDB key instead of a customer-managed one.
        ("aws_dynamodb_table.interim", "CKV_AWS_119"),
        ("aws_dynamodb_table.analytics", "CKV_AWS_119"),
        # No point-in-time recovery for 24-hour correlation state.
        ("aws_dynamodb_table.interim", "CKV_AWS_28"),
    },
    "reporter": {
        # Alarms cannot publish to an SNS topic under the AWS-managed key.
        ("aws_sns_topic.alerts", "CKV_AWS_26"),
        # The delivery log: AWS-managed key, like the processor's tables.
        ("aws_dynamodb_table.reporter_idempotency", "CKV_AWS_119"),
    },
    "export": {
        # Access logs, versioning, replication and event notifications: a bucket of
        # re-creatable, expiring copies of the table.
        ("aws_s3_bucket.data", "CKV_AWS_18"),
        ("aws_s3_bucket.data", "CKV_AWS_21"),
        ("aws_s3_bucket.data", "CKV_AWS_144"),
        ("aws_s3_bucket.data", "CKV2_AWS_62"),
        # SSE-S3 instead of a customer-managed KMS key.
        ("aws_s3_bucket.data", "CKV_AWS_145"),
        # The schedule holds no secret.
        ("aws_scheduler_schedule.export", "CKV_AWS_297"),
    },
}


def _scan(module_dir: Path) -> dict[str, Any]:
    completed = subprocess.run(
        [
            str(CHECKOV),
            "--directory",
            str(module_dir),
            "--framework",
            "terraform",
            "--skip-download",
            "--output",
            "json",
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=module_dir,
    )
    # Exit 1 means failed checks, which the assertions report in detail.
    assert completed.returncode in (0, 1), completed.stderr
    report: dict[str, Any] = json.loads(completed.stdout)
    return report


@pytest.mark.skipif(not CHECKOV.is_file(), reason="checkov is not installed (make tools)")
@pytest.mark.parametrize("service", sorted(tf.MODULES))
def test_checkov_passes_with_explained_suppressions_only(service: str) -> None:
    report = _scan(tf.MODULES[service])
    assert report["check_type"] == "terraform"
    summary = report["summary"]
    results = report["results"]
    failed = [
        f"{check['check_id']} {check['resource']} ({check['file_path']}): {check['check_name']}"
        for check in results["failed_checks"]
    ]
    assert failed == []
    assert summary["parsing_errors"] == 0
    assert summary["passed"] > 0

    skipped = results["skipped_checks"]
    assert {(check["resource"], check["check_id"]) for check in skipped} == ACCEPTED[service]
    for check in skipped:
        reason = check["check_result"].get("suppress_comment") or ""
        assert len(reason.split()) >= 8, f"{check['check_id']} on {check['resource']}: {reason!r}"
