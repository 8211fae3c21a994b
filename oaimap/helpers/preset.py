"""``kind: preset`` — call another operation with some payload values fixed.

openai-python's stream helpers (``chat.completions.stream``, ``beta.threads.runs.stream``
...) are the base request with ``stream: true``; oaimap returns its own event ``Stream``
(``AsyncStream`` on ``AsyncClient``)::

    helper:
      kind: preset
      operation: chat.completions.create    # the operation that is called
      set: {stream: true}                   # values the helper fixes
      instead:                              # optional: another operation when one of `when` is given
        when: [response_id, starting_after]
        operation: responses.retrieve
        set: {stream: true}

Declare ``params_from: <operation>``: the payload is that operation's. A payload that
gives a fixed key another value (``stream: false``) is refused (``ValidationError``);
the same value is accepted. With ``instead``, a payload holding a ``when`` key goes to
that operation, and keys it does not declare are refused (openai-python's
``responses.stream`` refuses to mix ``response_id`` with new-response arguments).
Call options (``deadline``, ``extra_body``, ``idempotency_key`` ...) reach the one call.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any, Mapping

from ..errors import ValidationError, Violation
from ..specs import Operation, json_path
from ..wire import CallOptions


def _target(client: Any, op: Operation, payload: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    spec = op.helper or {}
    instead = spec.get("instead")
    if instead and any(key in payload for key in instead["when"]):
        choice, other = instead, client.operation(instead["operation"])
        stray = [k for k in payload if k not in other.location_of and k not in other.param_aliases]
        if stray:
            given = ", ".join(k for k in instead["when"] if k in payload)
            raise ValidationError(
                op.name,
                [Violation(json_path([k]), f"not used with {given} (that calls {other.name})") for k in stray],
            )
    else:
        choice = spec
    fixed: Mapping[str, Any] = choice.get("set", {})
    wrong = [k for k, v in fixed.items() if k in payload and payload[k] != v]
    if wrong:
        raise ValidationError(
            op.name, [Violation(json_path([k]), f"fixed to {fixed[k]!r} by {op.name}") for k in wrong]
        )
    return choice["operation"], {**payload, **fixed}


def all_options(options: CallOptions) -> dict[str, Any]:
    """Every call option as given: the preset makes exactly one call."""
    return {f.name: getattr(options, f.name) for f in fields(options) if f.name != "output"}


def run(client: Any, op: Operation, payload: dict[str, Any], options: CallOptions) -> Any:
    name, target_payload = _target(client, op, payload)
    return client.call(name, target_payload, **all_options(options))


async def arun(client: Any, op: Operation, payload: dict[str, Any], options: CallOptions) -> Any:
    name, target_payload = _target(client, op, payload)
    return await client.call(name, target_payload, **all_options(options))
