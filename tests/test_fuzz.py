"""Property-based fuzz of every operation through a real Client and the loopback server.

For each operation (helpers aside, see below) Hypothesis draws payloads from the
operation's own schema (valid ones, and mutated ones: wrong types, unknown keys with
junk, awkward unicode, huge integers, NaN / inf, deep nesting, bytes under a non-file
key, very long path parameters; see tests/fuzz_support.py) and checks that each call
ends in exactly one of two ways:

* ``oaimap.ValidationError`` whose every violation has a JSON path starting with ``$``,
  and the server received nothing; or
* the request went out and the loopback server (which validates with the same schema)
  accepted it: no 400, no other error; streams are read to the end.

Anything else fails: a raw ``ValueError`` / ``TypeError`` / ``RecursionError`` /
``UnicodeEncodeError`` from encoding, an ``httpx`` error, a 4xx from the server (a
payload oaimap validated but encoded so that the server read it differently).

Profiles (environment variable ``OAIMAP_FUZZ_PROFILE``):

* ``ci`` (default): 36 examples per operation (about 10,400 in all), derandomized so every
  run tries the same payloads, failures reported as found (not shrunk); under 1.5 minutes
  on two cores.
* ``long``: 1,000 examples per operation, a fresh random seed per run, failures shrunk
  to a minimal payload (and saved in Hypothesis' example database, replayed first next
  time).

``OAIMAP_FUZZ_EXAMPLES=N`` overrides the number of examples per operation of either.
``OAIMAP_FUZZ_COLLECT=1`` is a survey mode: a failing example is recorded (not shrunk)
and the run goes on, so every operation tries its whole budget and the report lists
every distinct failure; an operation with failures still fails at the end.

Totals (examples tried, how each ended, per kind and per operation, and every distinct
failure with its smallest payload seen) are printed in the terminal summary and written
to ``fuzz-totals.json`` in pytest's base temp directory (``--basetemp=DIR`` to choose it),
and also to the path in ``OAIMAP_FUZZ_REPORT`` when that is set.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from oaimap import BadRequestError, Client, ValidationError, WebhookVerificationError
from oaimap.specs import SpecRegistry
from oaimap.sse import Stream

import fuzz_support

# A 100,000-character path parameter makes Hypothesis warn about the size of its repr.
pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore:Generating overly large repr")]

FUZZ_KEY = "sk-fuzz-0123456789"
ALL_OPS = sorted(SpecRegistry.shared().operations(), key=lambda op: op.name)
OPS = [op for op in ALL_OPS if op.helper is None]
WEBHOOK_OPS = [op for op in ALL_OPS if (op.helper or {}).get("kind") == "webhook"]
# Polling helpers (create_and_poll, upload_and_poll) wrap operations fuzzed here and need
# scripted server states; the websocket helper needs a live channel: not fuzzed.

# Too slow: one example is a real HTTP call, and strategies for the largest schemas
# (Responses / Chat input unions) take a while to draw from. Filter too much: junk keys
# are filtered against declared ones; on operations with few keys that rarely bites but
# must not fail the run. Large base example: minimal payloads of some operations (every
# required key of a big schema) are legitimately large.
_SUPPRESSED = [HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.large_base_example]
settings.register_profile(
    "oaimap-fuzz-ci",
    max_examples=36,
    derandomize=True,  # the same payloads on every run: CI failures reproduce locally
    database=None,
    # No shrinking in CI: with a regression in encoding, shrinking every failing operation
    # (hundreds of HTTP calls each) takes many minutes. The payloads are small already
    # (drawn from minimal valid ones); the long profile shrinks.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    deadline=None,
    suppress_health_check=_SUPPRESSED,
    print_blob=True,
)
settings.register_profile(
    "oaimap-fuzz-long",
    max_examples=1000,
    deadline=None,
    suppress_health_check=_SUPPRESSED,
    print_blob=True,
)
PROFILE = os.environ.get("OAIMAP_FUZZ_PROFILE", "ci")
if PROFILE not in ("ci", "long"):
    raise pytest.UsageError(f"OAIMAP_FUZZ_PROFILE must be 'ci' or 'long', not {PROFILE!r}")
FUZZ_SETTINGS = settings(
    settings.get_profile(f"oaimap-fuzz-{PROFILE}"),
    **({"max_examples": int(os.environ["OAIMAP_FUZZ_EXAMPLES"])} if os.environ.get("OAIMAP_FUZZ_EXAMPLES") else {}),
)
# pytest-timeout's 120 s per test is plenty for the ci profile (about 1 s per operation);
# the long profile gets room to run (and to shrink a failure).
COLLECT = os.environ.get("OAIMAP_FUZZ_COLLECT", "") not in ("", "0")
PER_OP_TIMEOUT = 120 if PROFILE == "ci" else 3600
# hypothesis-jsonschema handles (nearly) every schema; a few sub-schemas it cannot are
# given any JSON value instead (tests/fuzz_support.py FALLBACK). Keep that a rarity.
MAX_FALLBACK_OPS = 5


# -- tallies --------------------------------------------------------------------------------
class Tally:
    def __init__(self) -> None:
        self.outcomes: Counter[str] = Counter()  # "<kind>/<outcome>"
        self.per_op: dict[str, Counter[str]] = defaultdict(Counter)
        self.failures: dict[str, dict[str, Any]] = {}
        # Generated-as-valid payloads oaimap refused: not failures (oaimap may refuse more
        # than the schema, e.g. unsendable values), but a sign of the generator's precision.
        self.valid_refused: dict[str, dict[str, Any]] = {}
        self.started = time.monotonic()

    def record(self, op_name: str, kind: str, outcome: str) -> None:
        self.outcomes[f"{kind}/{outcome}"] += 1
        self.per_op[op_name][f"{kind}/{outcome}"] += 1

    def failure(self, op_name: str, kind: str, exc: BaseException, payload: Any) -> None:
        message = str(exc).splitlines()[0][:200] if str(exc) else ""
        key = f"{op_name} | {type(exc).__module__}.{type(exc).__name__} | {_shape(message)}"
        shown = _safe_repr(payload)
        known = self.failures.get(key)
        if known is None or len(shown) < len(known["payload"]):
            self.failures[key] = {
                "operation": op_name,
                "kind": kind,
                "exception": f"{type(exc).__module__}.{type(exc).__name__}",
                "message": message,
                "payload": shown,
            }

    def as_json(self) -> dict[str, Any]:
        total = sum(self.outcomes.values())
        return {
            "profile": PROFILE,
            "max_examples_per_op": FUZZ_SETTINGS.max_examples,
            "operations": len(self.per_op),
            "examples": total,
            "seconds": round(time.monotonic() - self.started, 1),
            "outcomes": dict(sorted(self.outcomes.items())),
            "fallback_ops": dict(sorted(fuzz_support.FALLBACK.items())),
            "valid_refused": dict(sorted(self.valid_refused.items())),
            "distinct_failures": len(self.failures),
            "failures": [self.failures[k] for k in sorted(self.failures)],
            "per_operation": {name: dict(sorted(c.items())) for name, c in sorted(self.per_op.items())},
        }


def _shape(message: str) -> str:
    """A failure message with its digits and quoted bits blurred, to group alike failures."""
    import re

    return re.sub(r"\d+", "N", re.sub(r"'[^']*'", "'…'", message))[:120]


class _Huge:
    """Stands for an integer too long to print (Python refuses str() past 4,300 digits)."""

    def __init__(self, value: int) -> None:
        self.digits = len(hex(value)) * 1.2  # about: hex is always printable

    def __repr__(self) -> str:
        return f"<int of ~{int(self.digits)} digits>"


def _printable(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 1000:
        return _Huge(value)
    if isinstance(value, dict):
        return {_printable(k): _printable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_printable(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_printable(v) for v in value)
    return value


def _safe_repr(value: Any, limit: int = 600) -> str:
    try:
        text = repr(_printable(value))
    except (ValueError, RecursionError):  # a structure nested past Python's limits
        text = "<unrepresentable>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


TALLY = Tally()


class _Summary:
    """A pytest plugin registered at run time: prints the totals at the end."""

    def __init__(self, report: Path) -> None:
        self.report = report

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        data = TALLY.as_json()
        if not data["examples"]:
            return
        terminalreporter.section("oaimap fuzz totals")
        terminalreporter.write_line(
            f"profile {data['profile']}: {data['examples']} examples over {data['operations']} operations "
            f"in {data['seconds']} s"
        )
        for outcome, count in data["outcomes"].items():
            terminalreporter.write_line(f"  {outcome}: {count}")
        terminalreporter.write_line(f"  fallback ops: {sorted(data['fallback_ops']) or 'none'}")
        terminalreporter.write_line(f"  distinct failures: {data['distinct_failures']}")
        for failure in data["failures"]:
            terminalreporter.write_line(
                f"    {failure['operation']}: {failure['exception']}: {failure['message'][:100]}"
            )
        terminalreporter.write_line(f"  written to {self.report}")


@pytest.fixture(scope="module", autouse=True)
def _fuzz_report(request, tmp_path_factory):
    report = tmp_path_factory.getbasetemp() / "fuzz-totals.json"
    request.config.pluginmanager.register(_Summary(report), "oaimap-fuzz-summary")
    yield
    data = json.dumps(TALLY.as_json(), indent=2, ensure_ascii=True)
    report.write_text(data)
    if os.environ.get("OAIMAP_FUZZ_REPORT"):
        Path(os.environ["OAIMAP_FUZZ_REPORT"]).write_text(data)


@pytest.fixture(scope="module")
def fuzz_client(_shared_server):
    with Client(api_key=FUZZ_KEY, base_url=_shared_server.url, max_retries=0) as c:
        yield c


# -- the property -------------------------------------------------------------------------------
def _consume(result: Any) -> None:
    if isinstance(result, Stream):
        for _ in result:
            pass


def _check_rejection(op, exc: ValidationError, server) -> None:
    assert exc.violations, f"{op.name}: ValidationError without violations"
    bad = [v.path for v in exc.violations if not v.path.startswith("$")]
    assert not bad, f"{op.name}: violation paths not starting with $: {bad}"
    assert server.requests == [], f"{op.name}: rejected payload was sent anyway ({len(server.requests)} request(s))"


def _run_one(client: Client, server, op, kind: str, payload: dict[str, Any]) -> None:
    server.reset()
    try:
        result = client.call(op.name, payload, timeout=30)
        _consume(result)
    except ValidationError as exc:
        try:
            _check_rejection(op, exc, server)
        except AssertionError as failure:
            TALLY.record(op.name, kind, "failed")
            TALLY.failure(op.name, kind, failure, payload)
            raise
        TALLY.record(op.name, kind, "rejected")
        if kind == "valid" and op.name not in TALLY.valid_refused:
            TALLY.valid_refused[op.name] = {"paths": exc.paths, "message": str(exc)[:300], "payload": _safe_repr(payload)}
        return
    except BadRequestError as exc:
        TALLY.record(op.name, kind, "failed")
        failure = AssertionError(f"loopback server rejected a payload oaimap accepted: {exc}")
        TALLY.failure(op.name, kind, failure, payload)
        raise failure from exc
    except BaseException as exc:
        TALLY.record(op.name, kind, "failed")
        TALLY.failure(op.name, kind, exc, payload)
        raise
    routed = [r.operation for r in server.requests]
    if routed != [op.name]:
        TALLY.record(op.name, kind, "failed")
        failure = AssertionError(f"{op.name}: expected one request routed to it, server saw {routed}")
        TALLY.failure(op.name, kind, failure, payload)
        raise failure
    TALLY.record(op.name, kind, "accepted")


@pytest.mark.timeout(PER_OP_TIMEOUT)
@pytest.mark.parametrize("op", OPS, ids=[op.name for op in OPS])
def test_fuzz_operation(fuzz_client, server, op):
    failed: list[str] = []

    @FUZZ_SETTINGS
    @given(case=fuzz_support.payloads(op))
    def run(case: tuple[str, dict[str, Any]]) -> None:
        kind, payload = case
        try:
            _run_one(fuzz_client, server, op, kind, payload)
        except Exception as exc:
            if not COLLECT:
                raise
            failed.append(f"{type(exc).__name__}: {str(exc)[:200]}")

    run()
    if failed:
        pytest.fail(f"{len(failed)} failing example(s), e.g. {failed[0]} (all in fuzz-totals.json)")


def test_fallback_stays_rare():
    """Sub-schemas hypothesis-jsonschema cannot generate from get any JSON value instead;
    that must stay the exception, not the rule."""
    for op in OPS:
        fuzz_support.valid_payloads(op)
    assert len(fuzz_support.FALLBACK) <= MAX_FALLBACK_OPS, fuzz_support.FALLBACK


# -- local helpers: webhooks (no network) ---------------------------------------------------------
_SECRET = "whsec_" + base64.b64encode(b"fuzz-webhook-secret").decode()


def _signed(body: str, msg_id: str, timestamp: int) -> dict[str, Any]:
    signed = f"{msg_id}.{timestamp}.{body}".encode("utf-8", "surrogatepass")
    digest = hmac.new(base64.b64decode(_SECRET[6:]), signed, hashlib.sha256).digest()
    headers = {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": "v1," + base64.b64encode(digest).decode(),
    }
    return {"payload": body, "headers": headers, "secret": _SECRET}


@st.composite
def _webhook_payloads(draw, op):
    choice = draw(st.sampled_from(["signed", "valid", "mutated"]))
    if choice == "signed":
        body = draw(st.one_of(fuzz_support.WEIRD_TEXT, fuzz_support.JSON_VALUES.map(json.dumps)))
        msg_id = draw(st.one_of(st.just("wh_1"), fuzz_support.WEIRD_TEXT))
        payload = _signed(body, msg_id, int(time.time()) + draw(st.integers(-400, 400)))
        return "valid", payload
    if choice == "valid":
        return "valid", draw(fuzz_support.valid_payloads(op))
    return "mutated", draw(fuzz_support.mutated_payloads(op))


@pytest.mark.parametrize("op", WEBHOOK_OPS, ids=[op.name for op in WEBHOOK_OPS])
def test_fuzz_webhook_helper(fuzz_client, server, op):
    """Local helpers: a ValidationError (paths from $), a WebhookVerificationError, or an
    answer; never another exception, never a request."""

    @FUZZ_SETTINGS
    @given(case=_webhook_payloads(op))
    def run(case: tuple[str, dict[str, Any]]) -> None:
        kind, payload = case
        server.reset()
        try:
            fuzz_client.call(op.name, payload)
        except ValidationError as exc:
            _check_rejection(op, exc, server)
            TALLY.record(op.name, kind, "rejected")
            return
        except WebhookVerificationError:
            assert server.requests == []
            TALLY.record(op.name, kind, "unverified")
            return
        except BaseException as exc:
            TALLY.record(op.name, kind, "failed")
            TALLY.failure(op.name, kind, exc, payload)
            raise
        assert server.requests == []
        TALLY.record(op.name, kind, "accepted")

    run()
