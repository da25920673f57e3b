from __future__ import annotations

from analytics_contract.schema import SCHEMA_PATH, render


def test_committed_json_schema_matches_the_models() -> None:
    assert SCHEMA_PATH.read_text(encoding="utf-8") == render(), (
        "contract/event-contract-v1.schema.json is stale: run `make schema` and commit it"
    )
