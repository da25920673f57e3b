"""A CloudFormation/SAM template as data: YAML with CloudFormation's short tags (``!Ref``,
``!Sub``, ``!GetAtt``...) turned into their long form (``{"Ref": ...}``, ``{"Fn::Sub": ...}``).

Used by the infrastructure tests and by ``bench.cost_inputs`` (the template's alarms). PyYAML is a
development dependency: it is imported when a template is loaded, not with this module.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def load_template(path: Path) -> dict[str, Any]:
    """The template at ``path``, with every short tag in its long form."""
    import yaml

    class _CfnLoader(yaml.SafeLoader):
        pass

    def construct_tag(loader: _CfnLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
        value: Any
        if isinstance(node, yaml.ScalarNode):
            value = loader.construct_scalar(node)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
        if suffix == "Ref":
            return {"Ref": value}
        if suffix == "Condition":
            return {"Condition": value}
        if suffix == "GetAtt" and isinstance(value, str):
            return {"Fn::GetAtt": value.split(".", 1)}
        return {f"Fn::{suffix}": value}

    _CfnLoader.add_multi_constructor("!", construct_tag)
    data: dict[str, Any] = yaml.load(path.read_text(encoding="utf-8"), Loader=_CfnLoader)  # noqa: S506 (a SafeLoader subclass)
    return data
