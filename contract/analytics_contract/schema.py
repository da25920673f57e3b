"""Export the contract's JSON Schema: ``python -m analytics_contract.schema [PATH]``.

The committed copy lives at ``contract/event-contract-v1.schema.json``; a test keeps it in sync.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from analytics_contract.events import EVENT_ADAPTER

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "event-contract-v1.schema.json"


def event_schema() -> dict[str, Any]:
    schema = EVENT_ADAPTER.json_schema(by_alias=True, mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "cv-analytics/event-contract-v1",
        "title": "cv-analytics event contract v1 (query, response and feedback events)",
        **schema,
    }


def render() -> str:
    return json.dumps(event_schema(), indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    target = Path(args[0]) if args else SCHEMA_PATH
    target.write_text(render(), encoding="utf-8")
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
