"""Every index of the analytics table has a reader and projects only what its readers need.

The projected attribute list is defined once (``analytics_contract.storage``); Terraform's copy
(``processor_infra/tables.tf``) and the local stack's (``cv_analytics/dev/resources.py``) must be
equal to it, and every reader's attributes must be in it.
"""

from __future__ import annotations

import pytest

from analytics_contract import AnalyticsRecord
from analytics_contract.storage import (
    TABLE_ONLY_ATTRIBUTES,
    WEEK_INDEX,
    WEEK_INDEX_ATTRIBUTES,
    WEEK_INDEX_KEYS,
)
from cv_analytics.dev.resources import analytics_table_definition
from cv_analytics.infra import hcl
from cv_analytics.infra import terraform as tf
from reporter.repository import REPORT_ATTRIBUTES

PROJECTED = {"requestId", *WEEK_INDEX_KEYS, *WEEK_INDEX_ATTRIBUTES}


def test_the_local_stack_defines_the_one_index_with_the_listed_projection() -> None:
    [index] = analytics_table_definition("t")["GlobalSecondaryIndexes"]
    assert index["IndexName"] == WEEK_INDEX
    assert [key["AttributeName"] for key in index["KeySchema"]] == list(WEEK_INDEX_KEYS)
    assert index["Projection"] == {
        "ProjectionType": "INCLUDE",
        "NonKeyAttributes": list(WEEK_INDEX_ATTRIBUTES),
    }


@pytest.mark.skipif(
    hcl.hcl2tojson_binary() is None, reason="hcl2tojson (checkov tool venv) is not installed"
)
def test_terraform_defines_the_same_index_as_python() -> None:
    module = hcl.load_module(tf.PROCESSOR_MODULE)
    tables = {name: body for kind, name, body in hcl.typed_blocks(module, "resource")
              if kind == "aws_dynamodb_table"}  # fmt: skip
    # python-hcl2 wraps every attribute value in a list.
    [index] = tables["analytics"]["global_secondary_index"]
    assert index["name"] == [WEEK_INDEX]
    assert (*index["hash_key"], *index["range_key"]) == WEEK_INDEX_KEYS
    assert index["projection_type"] == ["INCLUDE"]
    assert index["non_key_attributes"] == [list(WEEK_INDEX_ATTRIBUTES)]
    defined = {name for attribute in tables["analytics"]["attribute"] for name in attribute["name"]}
    assert defined == {"requestId", *WEEK_INDEX_KEYS}  # no attribute of a removed index


def test_the_weekly_report_reads_only_what_the_index_projects() -> None:
    assert set(REPORT_ATTRIBUTES) <= PROJECTED, set(REPORT_ATTRIBUTES) - PROJECTED


def test_every_record_field_is_either_projected_or_deliberately_left_in_the_table() -> None:
    fields = {field.alias or name for name, field in AnalyticsRecord.model_fields.items()}
    assert fields == PROJECTED | set(TABLE_ONLY_ATTRIBUTES)
    assert not PROJECTED & set(TABLE_ONLY_ATTRIBUTES)
