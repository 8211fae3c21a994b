"""``kind: parse`` — openai-python's ``parse`` helpers, with JSON Schema instead of types.

``chat.completions.parse`` and ``responses.parse`` make the create call, then read the
structured output back: where the request asked for JSON (``response_format`` /
``text.format`` of type ``json_schema`` or ``json_object``), each message's text is parsed
into ``parsed`` (chat: ``choices[i].message.parsed``; Responses: each ``output_text``
part's ``parsed`` and the response's ``output_parsed``), and the arguments of calls to
``strict`` function tools into ``parsed_arguments``. Text that is not the JSON it should
be raises :class:`APIResponseValidationError`. The SDK's pydantic types are Python
objects, not data: pass the JSON schema they stand for::

    helper:
      kind: parse
      operation: chat.completions.create
"""

from __future__ import annotations

import json
from typing import Any, Mapping

from ..errors import APIResponseValidationError, ValidationError, Violation
from ..specs import Operation
from ..wire import CallOptions
from .preset import all_options

JSON_FORMATS = ("json_schema", "json_object")


def _request(op: Operation, payload: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    if payload.get("stream"):
        raise ValidationError(op.name, [Violation("$.stream", f"{op.name} does not stream (use the create call)")])
    return (op.helper or {})["operation"], dict(payload)


def run(client: Any, op: Operation, payload: dict[str, Any], options: CallOptions) -> Any:
    name, request = _request(op, payload)
    return parsed(op.name, request, client.call(name, request, **all_options(options)))


async def arun(client: Any, op: Operation, payload: dict[str, Any], options: CallOptions) -> Any:
    name, request = _request(op, payload)
    return parsed(op.name, request, await client.call(name, request, **all_options(options)))


def parsed(operation: str, request: Mapping[str, Any], answer: Any) -> Any:
    """``answer`` with its structured output parsed (in place), as described above."""
    if not isinstance(answer, dict):
        return answer
    strict_tools = _strict_function_names(request.get("tools"))
    if "choices" in answer:  # a chat completion
        wants_json = (request.get("response_format") or {}).get("type") in JSON_FORMATS
        for choice in answer.get("choices") or []:
            message = choice.get("message") or {}
            if wants_json and isinstance(message.get("content"), str) and not message.get("refusal"):
                message["parsed"] = _json(operation, message["content"], "message content")
            for call in message.get("tool_calls") or []:
                function = call.get("function") or {}
                if function.get("name") in strict_tools and isinstance(function.get("arguments"), str):
                    function["parsed_arguments"] = _json(operation, function["arguments"], "tool call arguments")
        return answer
    wants_json = (((request.get("text") or {}).get("format")) or {}).get("type") in JSON_FORMATS
    answer["output_parsed"] = None
    for item in answer.get("output") or []:
        if item.get("type") == "function_call" and item.get("name") in strict_tools:
            item["parsed_arguments"] = _json(operation, item.get("arguments") or "", "function call arguments")
        for part in item.get("content") or [] if item.get("type") == "message" else []:
            if wants_json and part.get("type") == "output_text" and isinstance(part.get("text"), str):
                part["parsed"] = _json(operation, part["text"], "output text")
                if answer["output_parsed"] is None:
                    answer["output_parsed"] = part["parsed"]
    return answer


def _strict_function_names(tools: Any) -> set[str]:
    """Names of the ``strict`` function tools (chat: nested under ``function``)."""
    names = set()
    for tool in tools or []:
        if isinstance(tool, dict) and tool.get("type") == "function":
            spec = tool.get("function", tool)
            if isinstance(spec, dict) and spec.get("strict") and isinstance(spec.get("name"), str):
                names.add(spec["name"])
    return names


def _json(operation: str, text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        excerpt = text[:200]
        raise APIResponseValidationError(f"{operation}: the {what} is not JSON: {excerpt!r}", None, excerpt) from None
