"""Every list operation pages with client.paginate, whatever its cursor style."""

from __future__ import annotations

import pytest

from oaimap.server import Reply
from oaimap.specs import SpecRegistry

PAGE_OPS = [op for op in SpecRegistry.shared().operations() if op.returns == "page" and op.pagination.input_token]
SINGLE_PAGE_OPS = [op for op in SpecRegistry.shared().operations() if op.returns == "page" and not op.pagination.input_token]
ITEMS = [[{"id": "a"}, {"id": "b"}], [{"id": "c"}], [{"id": "d"}]]
TOKENS = ["cursor-1", "cursor-2", None]


def _pages(pagination):
    """Three pages in the operation's own style, and the cursor each one leads to."""
    pages, cursors = [], []
    for index, items in enumerate(ITEMS):
        page = {"object": "list", pagination.items: items}
        last = index == len(ITEMS) - 1
        if pagination.more:
            page[pagination.more] = not last
        if pagination.output_token == "@last":
            cursors.append(items[-1]["id"])
        else:
            page[pagination.output_token] = TOKENS[index]
            cursors.append(TOKENS[index])
        pages.append(page)
    return pages, cursors


def test_there_are_list_operations():
    assert len(PAGE_OPS) >= 30


@pytest.mark.parametrize("op", PAGE_OPS, ids=[op.name for op in PAGE_OPS])
def test_paginate_walks_three_pages(client, server, op):
    pages, cursors = _pages(op.pagination)
    server.script(op.name, *[Reply(json=page) for page in pages])
    example = {k: v for k, v in (op.example.get("request") or {}).items() if k != op.pagination.input_token}
    payload = {**{k: f"{k}-1" for k in op.path_fields}, **example}
    items = list(client.paginate(op.name, payload))
    assert [i["id"] for i in items] == ["a", "b", "c", "d"]
    sent = [dict(r.query).get(op.pagination.input_token) for r in server.requests]
    assert sent == [None, *cursors[:2]]


@pytest.mark.parametrize("op", SINGLE_PAGE_OPS, ids=[op.name for op in SINGLE_PAGE_OPS])
def test_single_page_lists_stop_after_one_request(client, server, op):
    server.script(op.name, Reply(json={"object": "list", "data": ITEMS[0], "has_more": True}))
    payload = {**{k: f"{k}-1" for k in op.path_fields}, **(op.example.get("request") or {})}
    assert [i["id"] for i in client.paginate(op.name, payload)] == ["a", "b"]
    assert len(server.requests) == 1


def test_models_list_is_a_single_page_list():
    assert "models.list" in {op.name for op in SINGLE_PAGE_OPS}
