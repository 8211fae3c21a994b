"""The docs site: per-family help pages and the filterable index, from the specs.

The browser test drives Debian's headless Chromium through playwright (no browser is
downloaded). Under CI (CI=true) a missing Chromium or playwright fails the test;
elsewhere it is skipped with the reason.
"""

from __future__ import annotations

import os
import re
import shutil
from html import unescape
from pathlib import Path

import pytest

from codegen import docs
from codegen._resolve import load_families, payload_params
from oaimap import paramdoc

ROOT = Path(__file__).resolve().parents[1]
SYNTH = Path(__file__).resolve().parent / "data" / "codegen_synth"
# OAIMAP_CHROMIUM may point at another system Chromium (never a downloaded browser build).
CHROMIUM = os.environ.get("OAIMAP_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def write_site(specs_dir: Path, out: Path) -> dict[str, str]:
    files = docs.render(specs_dir)
    out.mkdir(parents=True, exist_ok=True)
    pages = {}
    for path, content in files.items():
        (out / path.name).write_text(content, encoding="utf-8")
        pages[path.name] = content
    return pages


def section(page: str, op_name: str) -> str:
    match = re.search(rf'<section class="op" id="{re.escape(op_name)}">(.*?)</section>', page, re.S)
    assert match, f"no section for {op_name}"
    return match.group(1)


def text(fragment: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment)))


# -- help pages, on the made-up family ----------------------------------------------------
@pytest.fixture(scope="module")
def synth_pages(tmp_path_factory) -> dict[str, str]:
    return write_site(SYNTH, tmp_path_factory.mktemp("synth-site"))


def test_family_page_lists_each_operation_with_route_alias_and_params(synth_pages):
    page = synth_pages["synth.html"]
    create = section(page, "synth.things.create")
    assert "<h2>" in create and "synth.things.create" in create
    assert "Make a thing; stream true sends progress events." in create
    assert "<code>POST</code> <code>/things</code>" in create
    assert "Node-RED method (alias): <code>createThing</code>" in create
    # required keys first, styled apart from optional ones; type, enum, default, bounds
    assert re.search(r'<dt class="required"><code>name</code><span class="type">string</span>', create)
    assert re.search(r'<dt class="optional"><code>kind</code><span class="type">string \| null</span>', create)
    assert "one of <code>&quot;alpha&quot;</code>, <code>&quot;beta&quot;</code>" in create
    size = text(create.split("<code>size</code>", 1)[1].split("</dd>", 1)[0])
    assert "integer" in size and "default 3" in size and "min 1, max 10" in size  # via $ref
    mode = text(create.split("<code>mode</code>", 1)[1].split("</dd>", 1)[0])
    assert "string | object" in mode and "ModeObject" in mode and "level*" in mode
    assert "items: " in create and "&quot;red&quot;" in create  # array of $ref enum
    assert re.search(r"<code>OpenAI-Beta</code><span class=\"type\">string</span><span class=\"loc\">header</span>", create)
    assert "What to call the thing." in create  # the family file's own description
    # the optional key reads differently from the required one
    assert page.count('<dt class="required">') >= 3 and page.count('<dt class="optional">') >= 8


def test_features_are_explained_where_an_operation_has_them(synth_pages):
    page = synth_pages["synth.html"]
    create = text(section(page, "synth.things.create"))
    assert "Streaming." in create and "thing.done" in create
    assert "Uploads." in create and "multipart/form-data" in create and "upload takes a file path" in create
    listing = text(section(page, "synth.things.list"))
    assert "Pagination." in listing and "client.paginate" in listing and "last_id" in listing
    assert "Node-RED alias, the first page's item list" in listing
    assert "bytes" in text(section(page, "synth.things.content")) and "output=path" in text(section(page, "synth.things.content"))
    assert "always answers with server-sent events" in text(section(page, "synth.events.follow"))
    live = text(section(page, "synth.live.connect"))
    assert "Helper (websocket)." in live and "WebSocket" in live and "helper: websocket" in live
    assert "GET" not in live  # helpers have no route
    for name in ("synth.things.create", "synth.things.list", "synth.live.connect"):
        assert '<a href="https://platform.openai.com/docs/api-reference"' in section(page, name)
    assert 'href="https://platform.openai.com/docs/api-reference"' in page  # the default reference
    assert 'client.call("synth.things.create", {"name": "demo", "size": 4})' in unescape(page)


def test_index_lists_every_family_and_operation(synth_pages):
    index = synth_pages["index.html"]
    for op in load_families(SYNTH)[0].operations:
        assert f'href="synth.html#{op.name}"' in index
        for alias in op.aliases:
            assert alias in index
    assert '<h2><a href="synth.html">Synthetic</a></h2>' in index


# -- the real site --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site")
    write_site(ROOT / "specs", out)
    return out


def test_pages_load_nothing_from_the_network(site):
    for page in site.glob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert html.startswith("<!DOCTYPE html>\n" + docs.HEADER), page.name
        assert "<link" not in html and "@import" not in html and "url(" not in html, page.name
        assert not re.search(r"<(script|img|iframe|source|video|audio)\b[^>]*\bsrc=", html), page.name
        # every link is a local page, an in-page anchor, or the official reference
        for href in re.findall(r'href="([^"]+)"', html):
            assert href.startswith("#") or (site / href.split("#")[0]).is_file() or href.startswith(
                "https://"
            ), (page.name, href)


def test_every_operation_has_a_section_with_all_its_params(site):
    for family in load_families(ROOT / "specs"):
        page = (site / docs.page_name(family.id)).read_text(encoding="utf-8")
        for op in family.operations:
            body = section(page, op.name)
            for key, _, _ in payload_params(op):
                assert f"<code>{key}</code>" in body or f"<code>{key.replace('&', '&amp;')}</code>" in body, (
                    op.name,
                    key,
                )


def _browser():
    in_ci = os.environ.get("CI", "").lower() == "true"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if in_ci:
            pytest.fail("playwright is not installed (it is in the dev extra)")
        pytest.skip("playwright is not installed: pip install -e '.[dev]'")
    if not Path(CHROMIUM).is_file():
        if in_ci:
            pytest.fail(f"chromium is missing ({CHROMIUM}): .ci/run installs it with apt-get install chromium")
        pytest.skip(f"no chromium at {CHROMIUM} (apt-get install chromium); skipped outside CI only")
    return sync_playwright


def test_index_filter_and_links_in_a_real_browser(site, tmp_path):
    sync_playwright = _browser()
    families = load_families(ROOT / "specs")
    target = next(op for f in families for op in f.operations if op.name == "responses.input_tokens.count")
    term = "input_tokens"
    expected_visible = {
        op.name for f in families for op in f.operations if term in docs.search_text(f, op)
    }
    everything = {op.name for f in families for op in f.operations}
    assert target.name in expected_visible and everything - expected_visible

    external: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.on("request", lambda r: external.append(r.url) if not r.url.startswith(("file:", "data:")) else None)
            page.goto((site / "index.html").as_uri())
            rows = page.locator("li.op")
            assert rows.count() == len(everything)
            assert page.locator("#count").inner_text() == f"{len(everything)} operations"

            page.locator("#filter").press_sequentially(term)
            visible = set(page.eval_on_selector_all(
                "li.op:not([hidden]) a code", "els => els.map(e => e.textContent)"
            ))
            assert visible == expected_visible
            assert page.locator('li.op:has(a[href="responses.html#responses.create"])').is_hidden()
            assert page.locator("#count").inner_text().startswith(f"{len(expected_visible)} of {len(everything)}")
            hidden_families = page.eval_on_selector_all("section.family[hidden]", "els => els.length")
            assert hidden_families > 0
            page.screenshot(path=str(tmp_path / "index-filtered.png"), full_page=True)

            page.locator(f'a[href="responses.html#{target.name}"]').click()
            page.wait_for_url(f"**/responses.html#{target.name}")
            op_section = page.locator(f'section.op[id="{target.name}"]')
            assert op_section.is_visible()
            listed = op_section.locator("dl.params dt > code").all_inner_texts()
            assert listed and set(listed) == {key for key, _, _ in payload_params(target)}
            assert "POST /responses/input_tokens" in op_section.inner_text().replace("\n", " ")
            page.screenshot(path=str(tmp_path / "operation.png"))

            page.go_back()
            page.fill("#filter", "")
            assert page.locator("li.op:not([hidden])").count() == len(everything)
        finally:
            browser.close()
    assert (tmp_path / "index-filtered.png").stat().st_size > 1000
    assert external == []


def test_a_parameter_description_and_a_linked_shape_in_a_real_browser(site, tmp_path):
    sync_playwright = _browser()
    op = next(op for f in load_families(ROOT / "specs") for op in f.operations if op.name == "chat.completions.create")
    messages = next(p for p in paramdoc.params(op) if p.name == "messages")
    assert messages.description, "specs/chat.yaml gives messages a description of its own"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.goto((site / "chat.html").as_uri() + f"#{op.name}")
            entry = page.locator(f'section.op[id="{op.name}"] dl.params dt:has(> code:text-is("messages")) + dd')
            description = entry.locator(".desc")
            assert description.is_visible() and description.inner_text().rstrip(".") == messages.description.rstrip(".")
            temperature = page.locator(f'section.op[id="{op.name}"] dl.params dt:has(> code:text-is("temperature")) + dd')
            assert "min 0, max 2" in temperature.inner_text() and "default 1" in temperature.inner_text()
            seed = page.locator(f'section.op[id="{op.name}"] dl.params dt:has(> code:text-is("seed")) + dd').inner_text()
            assert "max 9223372036854775807" in seed and "9223372036854776000" not in seed

            link = entry.locator('a.shape:has(code:text-is("ChatCompletionRequestUserMessage"))')
            assert link.is_visible()
            link.click()
            page.wait_for_url("**/shapes-chat.html#ChatCompletionRequestUserMessage")
            shape = page.locator('section.shape[id="ChatCompletionRequestUserMessage"]')
            assert shape.is_visible()
            keys = dict(zip(shape.locator("dl.params dt > code").all_inner_texts(), shape.locator("dl.params dt .type").all_inner_texts()))
            assert keys["role"] == "string" and keys["content"].startswith("string | array") and "name" in keys
            assert shape.locator('dt.required:has(> code:text-is("content"))').count() == 1
            assert shape.locator("a.shape").count() > 0  # its own nested shapes link on
            page.screenshot(path=str(tmp_path / "shape.png"))
        finally:
            browser.close()
    assert (tmp_path / "shape.png").stat().st_size > 1000
