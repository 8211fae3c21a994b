"""Spec examples read like real requests: no placeholders from the document, and the
importer's own example values are real-looking too."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any, Iterator

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # codegen/ is not installed; it runs from the checkout
    sys.path.insert(0, str(ROOT))

from codegen.openapi.examples import fill_placeholders, loads_lenient, parse_curl  # noqa: E402
from codegen.openapi.synthesize import Synthesizer, path_value  # noqa: E402
from oaimap.specs import SpecRegistry  # noqa: E402

PLACEHOLDER = re.compile(r"^VAR_|_example$|^example$")


def strings(value: Any, where: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from strings(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from strings(item, f"{where}[{index}]")
    elif isinstance(value, str):
        yield where, value


def test_no_spec_example_holds_a_placeholder():
    ops = list(SpecRegistry.shared().operations())
    found = [f"{op.name}{where}: {text}" for op in ops for where, text in strings(dict(op.example)) if PLACEHOLDER.search(text)]
    assert len(ops) > 250 and found == []


def test_the_documents_placeholders_are_filled_in():
    assert fill_placeholders('{"model": "VAR_chat_model_id"}') == '{"model": "gpt-4.1-mini"}'
    assert loads_lenient('{"model": "VAR_completion_model_id",}') == {"model": "gpt-3.5-turbo-instruct"}
    curl = parse_curl("curl https://api.openai.com/v1/models/VAR_chat_model_id -H 'Authorization: Bearer $KEY'")
    assert curl is not None and curl.url.endswith("/models/gpt-4.1-mini")


def test_synthesized_values_look_real():
    video = {
        "type": "object",
        "required": ["id", "object", "model", "prompt", "error", "remixed_from_video_id"],
        "properties": {
            "id": {"type": "string"},
            "object": {"type": "string", "enum": ["video"]},
            "model": {"type": "string"},
            "prompt": {"type": "string"},
            "remixed_from_video_id": {"type": ["string", "null"]},
            "error": {"type": "object", "required": ["code", "message"], "properties": {"code": {"type": "string"}, "message": {"type": "string"}}},
        },
    }
    page = {
        "type": "object",
        "required": ["object", "data", "first_id", "last_id"],
        "properties": {
            "object": {"const": "list"},
            "data": {"type": "array", "items": video},
            "first_id": {"type": "string"},
            "last_id": {"type": "string"},
        },
    }
    made = Synthesizer({"components": {"schemas": {}}}).value(page)
    item = made["data"][0]
    assert item["id"] == "video_abc123" and item["remixed_from_video_id"] == "video_abc123"
    assert made["first_id"] == made["last_id"] == item["id"]
    assert item["model"] == "gpt-4.1-mini"
    assert not [text for _, text in strings(made) if PLACEHOLDER.search(text)]
    assert path_value("vector_store_id") == "vs_abc123" and path_value("file_id") == "file-abc123"
