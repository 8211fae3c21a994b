"""How the importer writes YAML: short values in flow style, long text as blocks, no
anchors; and whether two files hold the same data whatever their layout."""

from __future__ import annotations

import json
from typing import Any

import yaml

from oaimap.specs import yaml_loader


class _FlowMap(dict):
    pass


class _FlowSeq(list):
    pass


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_str(dumper: Any, value: str) -> Any:
    style = "|" if "\n" in value and "\r" not in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(_FlowMap, lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", v.items(), flow_style=True))
_Dumper.add_representer(_FlowSeq, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True))


def _flowable(value: Any) -> bool:
    if isinstance(value, str):
        return "\n" not in value and len(value) < 60
    if isinstance(value, (dict, list)):
        try:
            return len(json.dumps(value)) <= 72 and all(_flowable(v) for v in (value.values() if isinstance(value, dict) else value))
        except (TypeError, ValueError):
            return False
    return True


def _styled(value: Any) -> Any:
    if isinstance(value, dict):
        inner = {k: _styled(v) for k, v in value.items()}
        return _FlowMap(inner) if value and _flowable(value) else inner
    if isinstance(value, list):
        inner_list = [_styled(v) for v in value]
        return _FlowSeq(inner_list) if _flowable(value) else inner_list
    return value


def dump(data: Any) -> str:
    return yaml.dump(_styled(data), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def same_data(a: str, b: str) -> bool:
    """True when the two YAML texts hold equal data (only the layout differs)."""
    try:
        return yaml.load(a, Loader=yaml_loader()) == yaml.load(b, Loader=yaml_loader())
    except yaml.YAMLError:
        return False
