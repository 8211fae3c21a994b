"""Example values for operations whose document examples do not serve: the smallest
values a (document-form) schema accepts."""

from __future__ import annotations

from typing import Any, Mapping

from .refs import component_name, components
from .schemas import clean_component

class Synthesizer:
    """Smallest values that satisfy a (document-form) schema: required keys only."""

    def __init__(self, doc: Mapping[str, Any]):
        self.doc = doc

    def value(self, schema: Any, key: str = "", depth: int = 0) -> Any:
        if depth > 12 or not isinstance(schema, dict):
            return "example"
        if "$ref" in schema:
            name = component_name(schema["$ref"])
            target = clean_component(self.doc, name) if name in components(self.doc) else {}
            return self.value(target, key, depth + 1)
        if "const" in schema:
            return schema["const"]
        if schema.get("enum"):
            return next((v for v in schema["enum"] if v is not None), None)
        if "default" in schema and schema["default"] is not None and not isinstance(schema["default"], (dict, list)):
            return schema["default"]
        union = schema.get("anyOf") or schema.get("oneOf")
        if union:
            options = [s for s in union if not (isinstance(s, dict) and s.get("type") == "null")]
            return self.value((options or union)[0], key, depth + 1)
        if schema.get("allOf"):
            merged: dict[str, Any] = {}
            for sub in schema["allOf"]:
                part = self.value(sub, key, depth + 1)
                if isinstance(part, dict):
                    merged.update(part)
                else:
                    return part
            return merged
        kinds = schema.get("type")
        kind = next((k for k in kinds if k != "null"), "null") if isinstance(kinds, list) else kinds
        if kind is None:
            kind = "object" if "properties" in schema else "string"
        if kind == "string":
            if schema.get("format") == "binary":
                return f"{key or 'file'}.bin"
            text = f"{key or 'text'}_example" if key else "example"
            return text[: schema["maxLength"]] if "maxLength" in schema else text
        if kind in ("integer", "number"):
            low = schema.get("minimum", schema.get("exclusiveMinimum", 0))
            number = max(1, low + (1 if "exclusiveMinimum" in schema else 0))
            if "maximum" in schema:
                number = min(number, schema["maximum"])
            return int(number) if kind == "integer" else float(number)
        if kind == "boolean":
            return False
        if kind == "array":
            count = max(1, schema.get("minItems", 1))
            return [self.value(schema.get("items") or {}, key, depth + 1) for _ in range(count)]
        if kind == "object":
            props = schema.get("properties") or {}
            return {k: self.value(props.get(k, {}), k, depth + 1) for k in schema.get("required") or []}
        return None


def path_value(name: str) -> str:
    return f"{name[:-3] if name.endswith('_id') else name}_123"
