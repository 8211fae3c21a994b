"""What the simulated model says: deterministic functions of the request, so a test can
assert the answer. Text is :func:`reply_text` of the last user input unless a test
scripted :class:`Say` or :class:`ToolCall`; embeddings are unit vectors seeded by the
input, with the requested dimensions.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import re
import struct
from dataclasses import dataclass, field
from typing import Any, Callable

EMBEDDING_SIZES = {"text-embedding-3-large": 3072}  # every other model: 1536
_TOKEN = re.compile(r"\w+|[^\w\s]")


@dataclass(frozen=True)
class Say:
    """Script the model's next text answer for an operation."""

    text: str


@dataclass(frozen=True)
class ToolCall:
    """Script the model's next answer as a call of the function ``name``; several
    ``ToolCall`` objects given together (``ToolCall.many``) make parallel calls."""

    name: str
    arguments: dict[str, Any] = field(default_factory=dict)

    @property
    def arguments_json(self) -> str:
        return json.dumps(self.arguments)


Model = Callable[[str], str]  # last user text -> answer text


def reply_text(prompt: str) -> str:
    """The default simulated answer: it names what it answers, so tests can assert it."""
    prompt = " ".join(prompt.split())
    return f"Simulated reply to: {prompt}" if prompt else "Simulated reply."


def count_tokens(text: str) -> int:
    """A stable stand-in for a tokenizer: words and punctuation marks."""
    return len(_TOKEN.findall(text))


def text_of(content: Any) -> str:
    """The text in a message content: a string, or parts with ``text`` (input_text,
    output_text, text parts of chat and assistants)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        pieces = []
        for part in content:
            if isinstance(part, dict):
                text = part.get("text")
                pieces.append(text.get("value", "") if isinstance(text, dict) else str(text or ""))
        return " ".join(p for p in pieces if p)
    return ""


def last_user_text(messages: Any) -> str:
    """The last user message's text in a chat ``messages`` list or a Responses ``input``."""
    if isinstance(messages, str):
        return messages
    for message in reversed(messages if isinstance(messages, list) else []):
        if isinstance(message, dict) and message.get("role", "user") == "user" and message.get("type", "message") == "message":
            return text_of(message.get("content"))
    return ""


# -- embeddings ----------------------------------------------------------------------
def embedding(text: Any, model: str, dimensions: int | None) -> list[float]:
    """A unit vector that depends only on the input and the model."""
    size = dimensions or EMBEDDING_SIZES.get(model, 1536)
    seed = hashlib.sha256(json.dumps([model, text]).encode()).digest()
    rng = random.Random(seed)
    vector = [rng.gauss(0.0, 1.0) for _ in range(size)]
    norm = sum(v * v for v in vector) ** 0.5
    return [round(v / norm, 8) for v in vector]


def embeddings_answer(payload: dict[str, Any]) -> dict[str, Any]:
    raw = payload["input"]
    inputs = [raw] if isinstance(raw, str) or (isinstance(raw, list) and raw and isinstance(raw[0], int)) else list(raw)
    data = []
    tokens = 0
    for index, item in enumerate(inputs):
        vector = embedding(item, payload["model"], payload.get("dimensions"))
        tokens += len(item) if isinstance(item, list) else count_tokens(item)
        value: Any = vector
        if payload.get("encoding_format") == "base64":  # little-endian float32, as the API sends
            value = base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
        data.append({"object": "embedding", "index": index, "embedding": value})
    return {"object": "list", "data": data, "model": payload["model"],
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}


# -- chat and completions --------------------------------------------------------------
def chat_answer(payload: dict[str, Any], completion_id: str, now: int, said: Say | list[ToolCall], call_ids: list[str]) -> dict[str, Any]:
    prompt_tokens = sum(count_tokens(text_of(m.get("content"))) for m in payload["messages"] if isinstance(m, dict))
    message: dict[str, Any] = {"role": "assistant", "content": None, "refusal": None, "annotations": []}
    if isinstance(said, Say):
        message["content"] = said.text
        finish, completion_tokens = "stop", count_tokens(said.text)
    else:
        message["tool_calls"] = [
            {"id": call_id, "type": "function", "function": {"name": call.name, "arguments": call.arguments_json}}
            for call, call_id in zip(said, call_ids)
        ]
        finish, completion_tokens = "tool_calls", sum(count_tokens(c.arguments_json) for c in said)
    choices = [{"index": i, "message": dict(message), "logprobs": None, "finish_reason": finish} for i in range(payload.get("n") or 1)]
    return {"id": completion_id, "object": "chat.completion", "created": now, "model": payload["model"],
            "choices": choices, "system_fingerprint": "fp_oaimap_sim", "service_tier": "default",
            "usage": _usage("prompt_tokens", prompt_tokens, "completion_tokens", completion_tokens * len(choices))}


def completion_answer(payload: dict[str, Any], completion_id: str, now: int, model: Model) -> dict[str, Any]:
    prompts = payload["prompt"] if isinstance(payload["prompt"], list) and payload["prompt"] and isinstance(payload["prompt"][0], str) else [payload["prompt"]]
    choices, used = [], 0
    for index, prompt in enumerate(prompts):
        text = model(prompt if isinstance(prompt, str) else "")
        used += count_tokens(text)
        choices.append({"index": index, "text": text, "logprobs": None, "finish_reason": "stop"})
    prompt_tokens = sum(count_tokens(p) if isinstance(p, str) else len(p) for p in prompts)
    return {"id": completion_id, "object": "text_completion", "created": now, "model": payload["model"],
            "choices": choices, "system_fingerprint": "fp_oaimap_sim", "usage": _usage("prompt_tokens", prompt_tokens, "completion_tokens", used)}


def _usage(in_key: str, used_in: int, out_key: str, used_out: int) -> dict[str, int]:
    return {in_key: used_in, out_key: used_out, "total_tokens": used_in + used_out}


# -- Responses -------------------------------------------------------------------------
def input_items(raw: Any, new_id: Callable[[str], str]) -> list[dict[str, Any]]:
    """A Responses ``input`` as the items ``input_items.list`` shows: a string is one user
    message; every message part is typed; each item gets an id."""
    entries = [{"role": "user", "content": raw}] if isinstance(raw, str) else list(raw or [])
    items = []
    for entry in entries:
        item = dict(entry)
        if item.get("type", "message") == "message":
            item["type"] = "message"
            content = item.get("content")
            kind = "output_text" if item.get("role") == "assistant" else "input_text"
            if isinstance(content, str):
                item["content"] = [{"type": kind, "text": content}]
            item.setdefault("status", "completed")
            item.setdefault("id", new_id("msg_"))
        else:
            item.setdefault("id", new_id({"function_call_output": "fco_", "function_call": "fc_"}.get(item["type"], "item_")))
        items.append(item)
    return items


def response_output(payload: dict[str, Any], said: Say | list[ToolCall], new_id: Callable[[str], str]) -> list[dict[str, Any]]:
    """The output items of a finished response: a reasoning item when the request asked
    for a reasoning summary, then the message or the function calls."""
    output: list[dict[str, Any]] = []
    reasoning = payload.get("reasoning")
    if isinstance(reasoning, dict) and reasoning.get("summary"):
        summary = f"Reasoning about: {last_user_text(payload.get('input'))[:80]}"
        output.append({"id": new_id("rs_"), "type": "reasoning", "summary": [{"type": "summary_text", "text": summary}]})
    if isinstance(said, Say):
        output.append({"id": new_id("msg_"), "type": "message", "role": "assistant", "status": "completed",
                       "content": [{"type": "output_text", "text": said.text, "annotations": [], "logprobs": []}]})
    else:
        for call in said:
            output.append({"id": new_id("fc_"), "type": "function_call", "status": "completed", "call_id": new_id("call_"),
                           "name": call.name, "arguments": call.arguments_json})
    return output


def computer_step(payload: dict[str, Any], items: list[dict[str, Any]], new_id: Callable[[str], str]) -> list[dict[str, Any]] | None:
    """A computer-use model's first move: with the ``computer`` tool offered and no
    screenshot sent back yet (no ``computer_call_output`` in the input), it asks for a
    screenshot; None otherwise (the model answers as usual)."""
    tools = payload.get("tools") or []
    if not any(isinstance(tool, dict) and tool.get("type") == "computer" for tool in tools):
        return None
    if any(item.get("type") == "computer_call_output" for item in items):
        return None
    return [{"id": new_id("cu_"), "type": "computer_call", "call_id": new_id("call_"),
             "action": {"type": "screenshot"}, "pending_safety_checks": [], "status": "completed"}]


# The request fields a response object echoes, with the API's defaults.
RESPONSE_ECHO: dict[str, Any] = {
    "instructions": None, "max_output_tokens": None, "metadata": {}, "parallel_tool_calls": True,
    "previous_response_id": None, "reasoning": {"effort": None, "summary": None}, "store": True,
    "temperature": 1.0, "text": {"format": {"type": "text"}}, "tool_choice": "auto", "tools": [],
    "top_p": 1.0, "truncation": "disabled", "background": False, "service_tier": "default",
    "conversation": None, "prompt_cache_key": None, "safety_identifier": None, "user": None,
}


def response_object(payload: dict[str, Any], response_id: str, now: int, status: str) -> dict[str, Any]:
    echo = {key: payload.get(key, default) if payload.get(key) is not None else default for key, default in RESPONSE_ECHO.items()}
    if isinstance(payload.get("conversation"), str):
        echo["conversation"] = {"id": payload["conversation"]}
    return {"id": response_id, "object": "response", "created_at": now, "status": status, "error": None,
            "incomplete_details": None, "model": payload.get("model"), "output": [], "usage": None, **echo}


def response_usage(items: list[dict[str, Any]], output: list[dict[str, Any]]) -> dict[str, Any]:
    used_in = sum(count_tokens(text_of(i.get("content")) or str(i.get("output", ""))) for i in items)
    used_out = sum(count_tokens(text_of(o.get("content")) or o.get("arguments", "")) for o in output)
    reasoning = sum(count_tokens(text_of(o.get("summary"))) for o in output if o["type"] == "reasoning")
    return {"input_tokens": used_in, "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": used_out + reasoning, "output_tokens_details": {"reasoning_tokens": reasoning},
            "total_tokens": used_in + used_out + reasoning}


# The simulated moderation model: a category is flagged when the text holds one of its
# words (whole words, any case). Deterministic and small, so a test can choose a text
# that is flagged for exactly what it wants; nothing like a real classifier.
MODERATION_WORDS: dict[str, tuple[str, ...]] = {
    "harassment": ("idiot", "loser", "pathetic"),
    "harassment/threatening": ("hurt you", "find you", "kill you"),
    "hate": ("subhuman", "vermin"),
    "hate/threatening": ("exterminate",),
    "illicit": ("steal", "shoplift", "counterfeit"),
    "illicit/violent": ("make a bomb", "buy a gun"),
    "self-harm": ("hurt myself", "self-harm"),
    "self-harm/intent": ("want to die", "end my life"),
    "self-harm/instructions": ("how to cut myself",),
    "sexual": ("explicit sex",),
    "sexual/minors": ("sexual minor",),
    "violence": ("kill", "hurt", "attack", "stab", "shoot"),
    "violence/graphic": ("gore", "dismember"),
}
_FLAGGED_SCORE, _CLEAR_SCORE = 0.97, 0.0004


def moderation_result(text: str, images: int = 0) -> dict[str, Any]:
    """One input's moderation result: each category flagged when the text holds one of
    its :data:`MODERATION_WORDS`."""
    lowered = " ".join(re.findall(r"[\w'-]+", text.lower()))
    hits = {name: any(re.search(rf"\b{re.escape(word)}\b", lowered) for word in words) for name, words in MODERATION_WORDS.items()}
    kinds = ["text"] + (["image"] if images else [])
    return {
        "flagged": any(hits.values()),
        "categories": hits,
        "category_scores": {name: _FLAGGED_SCORE if hit else _CLEAR_SCORE for name, hit in hits.items()},
        "category_applied_input_types": {name: kinds for name in hits},
    }


def moderation_inputs(given: Any) -> list[tuple[str, int]]:
    """The inputs a moderation request holds, each as (text, number of images): a
    string, a list of strings, or one list of text and image parts."""
    if isinstance(given, str):
        return [(given, 0)]
    if isinstance(given, list) and all(isinstance(item, str) for item in given):
        return [(item, 0) for item in given]
    parts = [part for part in given or [] if isinstance(part, dict)]
    return [(text_of(parts), sum(part.get("type") == "image_url" for part in parts))]
