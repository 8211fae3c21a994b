"""Names and one-line summaries of operations new to the specs, by the naming rule of
docs/spec-format.md ("Naming rule")."""

from __future__ import annotations

import re

from .document import DocOperation

_PY_CALL = re.compile(r"\bclient\.([A-Za-z_][A-Za-z0-9_.]*)\s*\(")
_SDK_WRAPPERS = {"with_raw_response", "with_streaming_response"}
# operationId prefixes -> verb (checked in order, on the lower-cased id without separators)
VERB_PREFIXES = (
    ("list", "list"),
    ("retrieve", "retrieve"),
    ("get", "retrieve"),
    ("create", "create"),
    ("add", "create"),
    ("upload", "create"),
    ("invite", "create"),
    ("assign", "create"),
    ("update", "update"),
    ("modify", "update"),
    ("delete", "delete"),
    ("remove", "delete"),
    ("unassign", "delete"),
)
ADMIN_ROOTS = ("organization", "projects")


def snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def js_to_python(call: str) -> str | None:
    """``vectorStores.fileBatches.del`` -> ``vector_stores.file_batches.delete``."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+", call):
        return None
    parts = [snake(p) for p in call.split(".")]
    if parts[-1] == "del":
        parts[-1] = "delete"
    return ".".join(parts)


def bare_route(path: str) -> str:
    """The path without its literal query (``?beta=true``)."""
    return path.partition("?")[0]


def literal_segments(path: str) -> list[str]:
    return [s for s in bare_route(path).strip("/").split("/") if s and not s.startswith("{")]


def python_calls(dop: DocOperation) -> list[str]:
    """Dotted resource paths of ``client.x.y(`` calls in the document's Python examples."""
    calls: list[str] = []
    for example in dop.examples():
        request = example.get("request")
        code = request.get("python") if isinstance(request, dict) else None
        if not isinstance(code, str):
            continue
        for found in _PY_CALL.findall(code):
            parts = [p for p in found.split(".") if p not in _SDK_WRAPPERS]
            name = ".".join(parts)
            if len(parts) >= 2 and name not in calls:
                calls.append(name)
    return calls


def strip_prefix(segments: list[str], first_literal: str) -> tuple[list[str], list[str]] | None:
    """(prefix, rest) where rest starts with the route's first literal segment."""
    if first_literal in segments:
        index = segments.index(first_literal)
        return segments[:index], segments[index:]
    return None


def rule_name(dop: DocOperation, all_methods_on_route: set[str], prefix: list[str]) -> str:
    """The fallback name: prefix + the route's literal segments + a verb."""
    segments = literal_segments(dop.path)
    route = bare_route(dop.path).rstrip("/")
    last = route.split("/")[-1]
    op_id = re.sub(r"[^a-z]", "", dop.operation_id.lower())
    if (
        dop.method == "POST"
        and all_methods_on_route == {"POST"}
        and not last.startswith("{")
        and len(segments) > 1
        and op_id.startswith(last.replace("_", ""))
    ):
        return ".".join([*prefix, *segments])  # an action: /batches/{id}/cancel -> batches.cancel
    verb = next((v for p, v in VERB_PREFIXES if op_id.startswith(p)), None)
    if verb is None:
        collection = not last.startswith("{")
        verb = {
            "GET": "list" if collection else "retrieve",
            "POST": "create" if collection else "update",
            "DELETE": "delete",
        }.get(dop.method, "update")
    return ".".join([*prefix, *segments, verb])


def _singular(word: str) -> str:
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _article(phrase: str) -> str:
    vowel = phrase[:1] in "aeiou" and not phrase.startswith(("us", "uni"))
    return ("an " if vowel else "a ") + phrase


def rule_summary(name: str, path: str) -> str:
    """One line from the name: ``responses.input_items.list`` -> "List the input items of a response."."""
    parts = [p for p in name.split(".") if p not in ("beta", "admin")]
    verb, resources = parts[-1], parts[:-1]
    noun = resources[-1] if resources else parts[0]
    words = noun.replace("_", " ")
    plural = noun.endswith("s") and not noun.endswith("ss")
    # A parent is named when the noun hangs under an id: /responses/{response_id}/input_items
    route = bare_route(path)
    parent = ""
    segments = route.strip("/").split("/")
    if noun in segments:
        before = segments[: segments.index(noun)]
        literal_before = [s for s in before if not s.startswith("{")]
        if before and before[-1].startswith("{") and literal_before:
            parent = _singular(literal_before[-1]).replace("_", " ")
    # ... and a qualifier when it hangs under a fixed segment: /organization/usage/images
    qualifier = ""
    if noun in segments:
        index = segments.index(noun)
        if index >= 2 and not segments[index - 1].startswith("{"):
            qualifier = f" ({segments[index - 1].replace('_', ' ')})"
    of_parent = f" of {_article(parent)}" if parent else ""
    one = _singular(words) if plural else words
    thing = _article(one) if plural else f"the {words}"
    if verb == "list":
        text = f"List the {words}{of_parent}"
    elif verb == "create":
        text = f"Create {_article(one) if plural else words}{(' in ' + _article(parent)) if parent else ''}"
    elif verb == "retrieve":
        text = f"Get {thing}{of_parent}"
    elif verb in ("update", "delete", "cancel", "complete", "pause", "resume", "archive", "activate", "deactivate", "accept", "reject", "refer", "hangup", "remix", "search", "edit", "generate", "compact", "count", "run", "validate"):
        target = words if plural and verb in ("activate", "deactivate", "count", "search", "edit", "generate") else thing
        text = f"{verb.capitalize()} {target}{of_parent}"
    elif verb in ("content", "download_content"):
        text = f"Download the content of {_article(one)}"
    else:
        text = f"{verb.replace('_', ' ').capitalize()} ({one}{', ' + parent if parent else ''})"
    text += qualifier
    if "?beta=true" in path:
        text += ", beta route"
    return text + "."
