"""The retry policy as a public setting (``oaimap.RetryPolicy``), per client and per call,
and the retry budget that stops retry storms; over the real loopback server."""

from __future__ import annotations

import pytest

from oaimap import APIStatusError, Client, RetryBudget, RetryPolicy
from oaimap.server import Reply

from conftest import TEST_KEY

FAST = dict(initial_delay=0.001, max_delay=0.002)
MODEL = {"id": "m", "object": "model", "created": 1, "owned_by": "x"}


def _fail(status: int = 500, **headers: str) -> Reply:
    return Reply(status=status, json={"error": {"message": f"status {status}"}}, headers=headers)


def test_a_per_call_max_retries_keeps_the_clients_other_settings(server):
    policy = RetryPolicy(max_retries=0, statuses=frozenset({503}), **FAST)
    server.script("models.retrieve", _fail(500), _fail(503), Reply(json=MODEL))
    with Client(api_key=TEST_KEY, base_url=server.url, retry=policy) as client:
        with pytest.raises(APIStatusError):  # 500 is not in the client's statuses, whatever max_retries says
            client.call("models.retrieve", {"model": "m"}, max_retries=3)
        assert len(server.requests) == 1
        assert client.call("models.retrieve", {"model": "m"}, max_retries=3).meta.retries == 1  # 503 is: retried
    assert len(server.requests) == 3


def test_statuses_and_a_per_call_policy(server):
    server.script("models.retrieve", _fail(503), Reply(json=MODEL))
    with Client(api_key=TEST_KEY, base_url=server.url, max_retries=0) as client:
        result = client.call("models.retrieve", {"model": "m"}, retry=RetryPolicy(max_retries=1, **FAST))
    assert result.meta.retries == 1


def test_retry_after_is_honoured_up_to_its_cap(server):
    waits = []
    server.script("models.retrieve", _fail(429, **{"retry-after": "30"}), Reply(json=MODEL))
    with Client(api_key=TEST_KEY, base_url=server.url, retry=RetryPolicy(max_retries=1, max_retry_after=1.0, **FAST)) as client:
        client.on("on_retry", lambda wait, **_: waits.append(wait))
        client.call("models.retrieve", {"model": "m"})
    assert waits and waits[0] < 0.01  # 30 s is past the cap: the policy's own backoff instead


def test_the_budget_stops_a_retry_storm_and_successes_refill_it(server):
    budget = RetryBudget(capacity=10, retry_cost=5, success_refund=5)
    decisions = []
    with Client(api_key=TEST_KEY, base_url=server.url, retry=RetryPolicy(max_retries=2, budget=budget, **FAST)) as client:
        client.on("on_retry", lambda attempt, reason, wait, **_: decisions.append((attempt, reason, wait is not None)))
        server.script("models.retrieve", *[_fail(500) for _ in range(4)])
        for _ in range(2):  # the first call spends the budget on its two retries; the second gets none
            with pytest.raises(APIStatusError):
                client.call("models.retrieve", {"model": "m"})
        assert budget.available == 0
        assert decisions == [(1, "HTTP 500", True), (2, "HTTP 500", True), (1, "HTTP 500; retry budget spent", False)]
        assert len(server.requests) == 4
        server.script("models.retrieve", Reply(json=MODEL), Reply(json=MODEL), _fail(500), Reply(json=MODEL))
        client.call("models.retrieve", {"model": "m"})
        client.call("models.retrieve", {"model": "m"})  # two successes: 10 tokens back
        assert budget.available == 10
        assert client.call("models.retrieve", {"model": "m"}).meta.retries == 1  # retrying again


def test_policies_are_public_and_documented_values():
    policy = RetryPolicy()
    assert (policy.max_retries, policy.initial_delay, policy.max_delay, policy.jitter, policy.max_retry_after) == (2, 0.5, 8.0, 0.25, 120.0)
    assert {408, 409, 429, 500, 503, 599} <= policy.statuses and 400 not in policy.statuses
    assert isinstance(policy.budget, RetryBudget) and policy.budget.available == 500
