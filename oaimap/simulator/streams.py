"""Whole answers turned into the event sequences the API streams for them.

Pure functions: a finished object in (a chat completion, a Responses ``response``, an
Assistants run and its message), the list of events the API would send out. Events are
what the loopback server writes (``server._sse_frame``): a dict with a ``type`` is sent as
``event: <type>``, an ``{"event", "data"}`` dict as a named event, ``"[DONE]"`` as
``data: [DONE]``. Text is cut in word pieces and JSON arguments in short fragments, as the
API sends tokens.
"""

from __future__ import annotations

import re
from typing import Any

_FRAGMENT = 8  # characters per piece of streamed JSON arguments


def _words(text: str | None) -> list[str]:
    """``text`` in pieces of one word with its following whitespace."""
    return re.findall(r"\S+\s*|\s+", text or "")


def _fragments(arguments: str | None) -> list[str]:
    """JSON ``arguments`` in short pieces (they rarely have spaces to cut at)."""
    arguments = arguments or ""
    return [arguments[i : i + _FRAGMENT] for i in range(0, len(arguments), _FRAGMENT)]


def chat_chunks(completion: Any, payload: dict[str, Any]) -> list[Any]:
    """A chat completion (or a text completion) streamed as the API streams it.

    Each choice opens with a ``role`` delta, then sends its text word by word; a chat
    message's ``tool_calls`` follow, each as a first delta with its ``index``, ``id``,
    ``type``, function name and empty arguments, then fragments of the arguments. The
    choice's last chunk has an empty delta and the ``finish_reason`` (``tool_calls`` when
    there were some). A usage chunk with no choices ends the stream when
    ``stream_options.include_usage`` asks for one. Any other answer is one event.
    """
    if not isinstance(completion, dict) or completion.get("object") not in ("chat.completion", "text_completion"):
        return [completion if completion is not None else {}]
    chat = completion["object"] == "chat.completion"
    head = {k: completion[k] for k in ("id", "created", "model", "system_fingerprint") if k in completion}
    head["object"] = "chat.completion.chunk" if chat else "text_completion"
    chunks: list[Any] = []
    for choice in completion.get("choices") or []:
        index = choice.get("index", 0)
        message = choice.get("message") or {}
        tool_calls = message.get("tool_calls") or []

        def chunk(part: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
            return {**head, "choices": [{"index": index, **part, "finish_reason": finish_reason, "logprobs": None}]}

        text = message.get("content") if chat else choice.get("text")
        pieces = _words(text) or ([] if tool_calls else [""])
        if chat:
            chunks.append(chunk({"delta": {"role": "assistant", "content": "" if pieces else None}}))
        chunks += [chunk({"delta": {"content": piece}} if chat else {"text": piece}) for piece in pieces]
        for number, call in enumerate(tool_calls):
            function = call.get("function") or {}
            opening = {"index": number, "id": call.get("id"), "type": call.get("type", "function"),
                       "function": {"name": function.get("name"), "arguments": ""}}
            chunks.append(chunk({"delta": {"tool_calls": [opening]}}))
            chunks += [chunk({"delta": {"tool_calls": [{"index": number, "function": {"arguments": fragment}}]}})
                       for fragment in _fragments(function.get("arguments"))]
        finish_reason = choice.get("finish_reason") or ("tool_calls" if tool_calls else "stop")
        chunks.append(chunk({"delta": {}} if chat else {"text": ""}, finish_reason))
    options = payload.get("stream_options")
    if isinstance(options, dict) and options.get("include_usage") and completion.get("usage"):
        chunks.append({**head, "choices": [], "usage": completion["usage"]})
    return chunks


_RESPONSE_END = {"completed": "response.completed", "incomplete": "response.incomplete", "failed": "response.failed"}


def response_events(response: dict[str, Any]) -> list[dict[str, Any]]:
    """A finished Responses ``response`` streamed as the API streams it.

    ``response.created`` and ``response.in_progress`` carry the response still in
    progress, with no output. Each output item is announced by
    ``response.output_item.added`` (in progress, empty) and closed by
    ``response.output_item.done`` (whole); in between, a message sends each content part
    (``response.content_part.added``, text deltas word by word, any annotations, the
    text's ``done``, ``response.content_part.done``), a function call sends fragments of
    its arguments, a reasoning item each part of its summary. The last event,
    ``response.completed``, ``response.incomplete`` or ``response.failed`` after the
    response's status, carries the whole response. Every event has a ``sequence_number``
    counting from 0; there is no ``[DONE]``.
    """
    status = response.get("status")
    if status not in _RESPONSE_END:
        raise ValueError(f"a streamed response ends completed, incomplete or failed, not {status!r}")
    started = {**response, "status": "in_progress", "output": []}
    started.update({k: None for k in ("usage", "completed_at", "error", "incomplete_details") if k in response})
    events: list[dict[str, Any]] = [
        {"type": "response.created", "response": started},
        {"type": "response.in_progress", "response": started},
    ]
    for output_index, item in enumerate(response.get("output") or []):
        events.append({"type": "response.output_item.added", "output_index": output_index, "item": _item_opening(item)})
        at = {"item_id": item.get("id"), "output_index": output_index}
        if item.get("type") == "message":
            for content_index, part in enumerate(item.get("content") or []):
                events += _content_part_events({**at, "content_index": content_index}, part)
        elif item.get("type") == "function_call":
            arguments = item.get("arguments") or ""
            events += [{"type": "response.function_call_arguments.delta", **at, "delta": fragment}
                       for fragment in _fragments(arguments)]
            events.append({"type": "response.function_call_arguments.done", **at, "name": item.get("name"), "arguments": arguments})
        elif item.get("type") == "reasoning":
            for summary_index, part in enumerate(item.get("summary") or []):
                events += _summary_part_events({**at, "summary_index": summary_index}, part)
        events.append({"type": "response.output_item.done", "output_index": output_index, "item": item})
    events.append({"type": _RESPONSE_END[status], "response": response})
    return [{**event, "sequence_number": number} for number, event in enumerate(events)]


_EMPTY: dict[str, dict[str, Any]] = {"message": {"content": []}, "function_call": {"arguments": ""}, "reasoning": {"summary": []}}


def _item_opening(item: dict[str, Any]) -> dict[str, Any]:
    """An output item as ``response.output_item.added`` shows it: in progress, no content yet."""
    opening = {**item, **_EMPTY.get(item.get("type") or "", {})}
    if "status" in item:
        opening["status"] = "in_progress"
    return opening


def _content_part_events(at: dict[str, Any], part: dict[str, Any]) -> list[dict[str, Any]]:
    """One part of a message: an ``output_text`` (with ``logprobs`` on its text events and
    its annotations) or a ``refusal``."""
    if part.get("type") == "refusal":
        refusal = part.get("refusal") or ""
        return [
            {"type": "response.content_part.added", **at, "part": {**part, "refusal": ""}},
            *({"type": "response.refusal.delta", **at, "delta": piece} for piece in _words(refusal)),
            {"type": "response.refusal.done", **at, "refusal": refusal},
            {"type": "response.content_part.done", **at, "part": part},
        ]
    text = part.get("text") or ""
    annotations = part.get("annotations") or []
    return [
        {"type": "response.content_part.added", **at, "part": {**part, "text": "", "annotations": []}},
        *({"type": "response.output_text.delta", **at, "delta": piece, "logprobs": []} for piece in _words(text)),
        *({"type": "response.output_text.annotation.added", **at, "annotation_index": number, "annotation": annotation}
          for number, annotation in enumerate(annotations)),
        {"type": "response.output_text.done", **at, "text": text, "logprobs": []},
        {"type": "response.content_part.done", **at, "part": part},
    ]


def _summary_part_events(at: dict[str, Any], part: dict[str, Any]) -> list[dict[str, Any]]:
    """One part of a reasoning item's summary, its text word by word."""
    text = part.get("text") or ""
    return [
        {"type": "response.reasoning_summary_part.added", **at, "part": {**part, "text": ""}},
        *({"type": "response.reasoning_summary_text.delta", **at, "delta": piece} for piece in _words(text)),
        {"type": "response.reasoning_summary_text.done", **at, "text": text},
        {"type": "response.reasoning_summary_part.done", **at, "part": part},
    ]


def run_events(run: dict[str, Any], message: dict[str, Any] | None, steps: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """An Assistants run streamed as the API streams it, as ``{"event", "data"}`` events.

    The run is created and queued (status ``queued``), then in progress. Each step is
    created and in progress, then streams its work: a ``message_creation`` step the
    message (created and in progress with no content, text deltas word by word,
    completed), a ``tool_calls`` step its calls as step deltas (each call's id, type and
    name, then fragments of its arguments); a step that finished is then completed. The
    run's last event is named after its status (``thread.run.completed``,
    ``thread.run.requires_action``, ``thread.run.failed``...) and carries the whole run;
    ``done`` with data ``[DONE]`` ends the stream.

    Without ``steps``, the steps are made from the run (:func:`run_steps`).
    """
    if steps is None:
        steps = run_steps(run, message)
    unfinished = ("completed_at", "failed_at", "cancelled_at", "last_error", "incomplete_details", "required_action", "usage")
    queued = {**run, **{k: None for k in ("started_at", *unfinished) if k in run}, "status": "queued"}
    running = {**queued, "status": "in_progress", "started_at": run.get("started_at")}
    events: list[tuple[str, Any]] = [("thread.run.created", queued), ("thread.run.queued", queued), ("thread.run.in_progress", running)]
    for step in steps:
        opening = {**step, "status": "in_progress", "completed_at": None}
        details = step.get("step_details") or {}
        if details.get("type") == "tool_calls":
            opening["step_details"] = {"type": "tool_calls", "tool_calls": []}
        events += [("thread.run.step.created", opening), ("thread.run.step.in_progress", opening)]
        if details.get("type") == "message_creation" and message is not None:
            events += _message_events(message)
        elif details.get("type") == "tool_calls":
            events += _tool_call_deltas(step["id"], details.get("tool_calls") or [])
        if step.get("status") != "in_progress":
            events.append((f"thread.run.step.{step.get('status')}", step))
    events.append((f"thread.run.{run.get('status')}", run))
    return [{"event": name, "data": data} for name, data in events] + [{"event": "done", "data": "[DONE]"}]


def run_steps(run: dict[str, Any], message: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The step a run has just made: the tool calls it waits for when it
    ``requires_action`` (that run sends no message), else its message's creation."""
    common = {k: run.get(k) for k in ("assistant_id", "thread_id", "created_at")}
    common.update({"object": "thread.run.step", "run_id": run.get("id"), "cancelled_at": None, "expired_at": None,
                   "failed_at": None, "last_error": None, "metadata": {}, "usage": None})
    if run.get("status") == "requires_action":
        calls = ((run.get("required_action") or {}).get("submit_tool_outputs") or {}).get("tool_calls") or []
        waiting = [{**c, "function": {**c["function"], "output": None}} for c in calls]  # no output yet
        details: dict[str, Any] = {"type": "tool_calls", "tool_calls": waiting}
        return [{**common, "id": f"step_{run.get('id')}", "type": "tool_calls", "status": "in_progress",
                 "completed_at": None, "step_details": details}]
    if message is None:
        return []
    details = {"type": "message_creation", "message_creation": {"message_id": message.get("id")}}
    return [{**common, "id": f"step_{message.get('id')}", "type": "message_creation", "status": "completed",
             "completed_at": message.get("completed_at") or run.get("completed_at"), "step_details": details}]


def _message_events(message: dict[str, Any]) -> list[tuple[str, Any]]:
    """An assistant message: created and in progress with no content, its text parts
    word by word as ``thread.message.delta``, then whole."""
    opening = {**message, "status": "in_progress", "content": [], "completed_at": None}
    deltas = [
        {"id": message.get("id"), "object": "thread.message.delta",
         "delta": {"content": [{"index": index, "type": "text", "text": {"value": piece, "annotations": []}}]}}
        for index, part in enumerate(message.get("content") or []) if part.get("type") == "text"
        for piece in _words((part.get("text") or {}).get("value"))
    ]
    return [
        ("thread.message.created", opening),
        ("thread.message.in_progress", opening),
        *(("thread.message.delta", delta) for delta in deltas),
        (f"thread.message.{message.get('status') or 'completed'}", message),
    ]


def _tool_call_deltas(step_id: str, calls: list[dict[str, Any]]) -> list[tuple[str, Any]]:
    """A ``tool_calls`` step's calls as step deltas: each call's opening, then fragments
    of its function's arguments."""
    def delta(call: dict[str, Any]) -> tuple[str, Any]:
        details = {"type": "tool_calls", "tool_calls": [call]}
        return "thread.run.step.delta", {"id": step_id, "object": "thread.run.step.delta", "delta": {"step_details": details}}

    events = []
    for index, call in enumerate(calls):
        function = call.get("function") or {}
        opening = {"index": index, "id": call.get("id"), "type": call.get("type", "function"),
                   "function": {"name": function.get("name"), "arguments": "", "output": None}}
        events.append(delta(opening))
        events += [delta({"index": index, "type": "function", "function": {"arguments": fragment}})
                   for fragment in _fragments(function.get("arguments"))]
    return events
