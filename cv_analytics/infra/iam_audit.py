"""Least-privilege checks on IAM policy documents (identity and resource policies).

A statement that allows something must name its actions exactly (no ``*`` anywhere in an action,
no ``NotAction``) and its resources by ARN (no ``*`` resource, no ARN whose region, account or
resource part is a bare wildcard, no ``NotResource``). Deny statements are not grants and are not
checked. Used by tests/infra on the policies Terraform renders and on those AWS (moto) returns.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

PolicyDocument = Mapping[str, Any] | str


def as_list(value: Any) -> list[Any]:
    """IAM allows a single value or a list almost everywhere; always get a list."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def statements(document: PolicyDocument) -> list[dict[str, Any]]:
    """The statements of a policy document given as JSON text or as a parsed mapping."""
    parsed: Mapping[str, Any] = json.loads(document) if isinstance(document, str) else document
    return [dict(statement) for statement in as_list(parsed.get("Statement"))]


def _wildcard_resource(resource: str) -> bool:
    if resource == "*":
        return True
    parts = resource.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        return False
    _, _, service, region, account, name = parts
    return "*" in (service, region, account) or name in ("*", "")


def wildcard_grants(document: PolicyDocument, *, where: str = "policy") -> list[str]:
    """Every way an Allow statement of ``document`` grants more than named actions on named ARNs.

    Returns human-readable problems; an empty list means the document passes.
    """
    problems: list[str] = []
    for index, statement in enumerate(statements(document)):
        if statement.get("Effect") != "Allow":
            continue
        label = f"{where} statement {statement.get('Sid') or index}"
        if "NotAction" in statement:
            problems.append(f"{label}: NotAction grants every other action")
        if "NotResource" in statement:
            problems.append(f"{label}: NotResource grants every other resource")
        actions = [str(action) for action in as_list(statement.get("Action"))]
        if not actions and "NotAction" not in statement:
            problems.append(f"{label}: no Action")
        problems.extend(
            f"{label}: wildcard action {action!r}" for action in actions if "*" in action
        )
        is_resource_policy = "Principal" in statement
        resources = [str(resource) for resource in as_list(statement.get("Resource"))]
        if not resources and not is_resource_policy and "NotResource" not in statement:
            problems.append(f"{label}: no Resource")
        problems.extend(
            f"{label}: wildcard resource {resource!r}"
            for resource in resources
            if _wildcard_resource(resource)
        )
        problems.extend(_principal_problems(label, statement.get("Principal")))
    return problems


def _principal_problems(label: str, principal: Any) -> Sequence[str]:
    if principal is None:
        return []
    if principal == "*":
        return [f"{label}: anyone may use it (Principal '*')"]
    if isinstance(principal, Mapping):
        values = [str(value) for entry in principal.values() for value in as_list(entry)]
        if "*" in values:
            return [f"{label}: anyone may use it (Principal '*')"]
    return []
