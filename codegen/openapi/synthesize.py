"""Example values for operations whose document examples do not serve: the smallest
values a (document-form) schema accepts, with strings that read like real ones (an id in
the API's format for its object kind, a model name, a short sentence), never
placeholders."""

from __future__ import annotations

from typing import Any, Mapping

from .refs import component_name, components
from .schemas import clean_component

# The id prefix of each object kind (the `object` field, or the key holding the object).
ID_PREFIXES = {
    "assistant": "asst_", "audio.voice": "voice_", "audio.voice_consent": "cons_", "batch": "batch_",
    "chatkit.session": "cksess_", "chatkit.thread": "cthr_", "container": "cntr_", "conversation": "conv_",
    "eval": "eval_", "eval.run": "evalrun_", "file": "file-", "fine_tuning.job": "ftjob-", "message": "msg_",
    "organization": "org-", "organization.project": "proj_", "project": "proj_", "response": "resp_", "run": "run_",
    "skill": "skill_", "skill.version": "skillver_", "thread": "thread_", "upload": "upload_", "user": "user-",
    "vector_store": "vs_", "vector_store.file": "file-", "video": "video_", "video.character": "char_",
    "character": "char_", "workflow": "wf_",
}
# Keys holding an id whose name does not say the kind.
ID_KEYS = {"training_file": "file", "validation_file": "file", "result_files": "file", "remixed_from_video_id": "video"}
SAMPLE_TEXT = {
    "model": "gpt-4.1-mini",
    "fine_tuned_model": "ft:gpt-4.1-mini:acme::abc123",
    "name": "demo",
    "description": "Summarizes support tickets.",
    "language": "en",
    "prompt": "A paper boat drifting on a calm lake at sunrise",
    "query": "How do I reset my password?",
    "input": "Hello!",
    "content": "Hello!",
    "user": "user-1234",
    "code": "invalid_request",
    "message": "The request could not be processed.",
    "param": "model",
    "endpoint": "/v1/chat/completions",
    "completion_window": "24h",
    "issuer": "OpenAI",
    "generated_at": "2025-01-01T00:00:00Z",
    "version": "1",
    "default_version": "1",
    "latest_version": "1",
    "seconds": "8",
    "labels": "positive",
    "passing_labels": "positive",
    "email": "ada@example.com",
    "next_page": "page_2",
}


def id_for(kind: str) -> str:
    """An id in the API's format for an object of ``kind`` (``file`` -> ``file-abc123``)."""
    kind = kind.removesuffix(".deleted")
    prefix = ID_PREFIXES.get(kind) or ID_PREFIXES.get(kind.rsplit(".", 1)[-1]) or f"{kind.rsplit('.', 1)[-1]}_"
    return f"{prefix}abc123"


def sample_string(key: str, owner: str = "") -> str:
    """A real-looking value for a string field named ``key`` of an object of kind ``owner``."""
    if key in ("id", "first_id", "last_id"):
        return id_for(owner or "obj")
    if key in ID_KEYS:
        return id_for(ID_KEYS[key])
    if key.endswith("_file_id"):
        return id_for("file")
    if key.endswith("_id"):
        return id_for(key[:-3])
    return SAMPLE_TEXT.get(key, "demo")


class Synthesizer:
    """Smallest values that satisfy a (document-form) schema: required keys only."""

    def __init__(self, doc: Mapping[str, Any]):
        self.doc = doc

    def value(self, schema: Any, key: str = "", depth: int = 0, owner: str = "") -> Any:
        """The smallest value ``schema`` accepts for ``key`` inside an object of kind ``owner``."""
        if depth > 12 or not isinstance(schema, dict):
            return sample_string(key, owner)
        if "$ref" in schema:
            name = component_name(schema["$ref"])
            target = clean_component(self.doc, name) if name in components(self.doc) else {}
            return self.value(target, key, depth + 1, owner)
        if "const" in schema:
            return schema["const"]
        if schema.get("enum"):
            return next((v for v in schema["enum"] if v is not None), None)
        if "default" in schema and schema["default"] is not None and not isinstance(schema["default"], (dict, list)):
            return schema["default"]
        union = schema.get("anyOf") or schema.get("oneOf")
        if union:
            options = [s for s in union if not (isinstance(s, dict) and s.get("type") == "null")]
            return self.value((options or union)[0], key, depth + 1, owner)
        if schema.get("allOf"):
            merged: dict[str, Any] = {}
            for sub in schema["allOf"]:
                part = self.value(sub, key, depth + 1, owner)
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
            text = sample_string(key, owner)
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
            return [self.value(schema.get("items") or {}, key, depth + 1, owner) for _ in range(count)]
        if kind == "object":
            props = schema.get("properties") or {}
            required = schema.get("required") or []
            kind_of = self.value(props["object"], "object", depth + 1) if "object" in props else None
            # its `object` constant names the kind of its id; without one, the key holding it
            this = kind_of if isinstance(kind_of, str) and kind_of != sample_string("object") else key
            made = {k: self.value(props.get(k, {}), k, depth + 1, this) for k in required}
            items = made.get("data")
            if isinstance(items, list) and items and isinstance(items[0], dict) and "id" in items[0]:
                for cursor in ("first_id", "last_id"):  # a page's cursors name its items
                    if cursor in made:
                        made[cursor] = items[0]["id"]
            return made
        return None


def path_value(name: str) -> str:
    """A path parameter's example: an id of its kind (``video_id`` -> ``video_abc123``)."""
    return sample_string(name)
