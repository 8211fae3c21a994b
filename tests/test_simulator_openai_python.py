"""openai-python's own client, pointed at the simulator (``base_url``), completes the
cycles users run: create → retrieve → list → delete for files, vector stores, responses
and batches; its own polling helpers finish; it reads the streams and the embeddings.
The SDK parses every answer into its typed models, so a wrong shape fails here."""

from __future__ import annotations

import json

import pytest

from oaimap.pytest_plugin import SIMULATOR_KEY
from oaimap.simulator import reply_text

openai = pytest.importorskip("openai")
pytestmark = pytest.mark.filterwarnings("ignore:.*Assistants API is deprecated:DeprecationWarning", "ignore:deprecated:DeprecationWarning")


@pytest.fixture
def sdk(oaimap_server):
    with openai.OpenAI(api_key=SIMULATOR_KEY, base_url=oaimap_server.url, max_retries=0) as client:
        yield client


def test_files(sdk):
    made = sdk.files.create(file=("notes.jsonl", b'{"n": 1}\n'), purpose="batch")
    assert made.id.startswith("file-") and made.bytes == 9 and made.filename == "notes.jsonl"
    assert sdk.files.retrieve(made.id).purpose == "batch"
    assert sdk.files.content(made.id).read() == b'{"n": 1}\n'
    others = [sdk.files.create(file=(f"{i}.txt", b"x"), purpose="assistants").id for i in range(3)]
    assert [f.id for f in sdk.files.list(limit=2)] == [*reversed(others), made.id]  # the SDK follows `after`
    assert sdk.files.delete(made.id).deleted is True
    with pytest.raises(openai.NotFoundError):
        sdk.files.retrieve(made.id)


def test_vector_stores_and_their_pollers(sdk, tmp_path):
    store = sdk.vector_stores.create(name="docs", metadata={"team": "a"})
    assert store.id.startswith("vs_") and sdk.vector_stores.retrieve(store.id).name == "docs"
    assert sdk.vector_stores.update(store.id, name="renamed").name == "renamed"
    doc = tmp_path / "doc.txt"
    doc.write_text("hello")
    attached = sdk.vector_stores.files.upload_and_poll(vector_store_id=store.id, file=doc, poll_interval_ms=1)
    assert attached.status == "completed" and attached.usage_bytes == 5
    batch = sdk.vector_stores.file_batches.upload_and_poll(store.id, files=[doc, doc], poll_interval_ms=1)
    assert batch.status == "completed" and batch.file_counts.completed == 2
    listed = list(sdk.vector_stores.file_batches.list_files(batch_id=batch.id, vector_store_id=store.id))
    assert len(listed) == 2 and {f.status for f in listed} == {"completed"}
    assert sdk.vector_stores.retrieve(store.id).file_counts.total == 3
    (hit, *_) = sdk.vector_stores.search(store.id, query="hello there")  # the SDK's typed search results
    assert hit.filename == "doc.txt" and hit.content[0].text == "hello" and 0 < hit.score <= 1
    assert [s.id for s in sdk.vector_stores.list()] == [store.id]
    assert sdk.vector_stores.delete(store.id).deleted is True
    with pytest.raises(openai.NotFoundError):
        sdk.vector_stores.files.list(vector_store_id=store.id).data


def test_responses(sdk):
    made = sdk.responses.create(model="gpt-4.1-mini", input="Hello there", metadata={"k": "v"})
    assert made.output_text == reply_text("Hello there") and made.usage.total_tokens > 0
    assert sdk.responses.retrieve(made.id).output_text == made.output_text
    (item,) = sdk.responses.input_items.list(made.id)
    assert item.type == "message" and item.content[0].text == "Hello there"
    follow = sdk.responses.create(model="gpt-4.1-mini", input="And then?", previous_response_id=made.id)
    assert follow.previous_response_id == made.id
    sdk.responses.delete(made.id)
    with pytest.raises(openai.NotFoundError):
        sdk.responses.retrieve(made.id)
    with pytest.raises(openai.NotFoundError):
        sdk.responses.create(model="gpt-4.1-mini", input="x", previous_response_id=made.id)


def test_batches(sdk):
    line = {"custom_id": "c1", "method": "POST", "url": "/v1/embeddings", "body": {"model": "text-embedding-3-small", "input": "hi"}}
    source = sdk.files.create(file=("in.jsonl", (json.dumps(line) + "\n").encode()), purpose="batch")
    batch = sdk.batches.create(input_file_id=source.id, endpoint="/v1/embeddings", completion_window="24h")
    while batch.status not in ("completed", "failed", "cancelled"):
        batch = sdk.batches.retrieve(batch.id)
    assert batch.status == "completed" and batch.request_counts.completed == 1 and batch.error_file_id is None
    (result,) = [json.loads(x) for x in sdk.files.content(batch.output_file_id).text.splitlines()]
    assert result["custom_id"] == "c1" and len(result["response"]["body"]["data"][0]["embedding"]) == 1536
    assert [b.id for b in sdk.batches.list()] == [batch.id]


def test_assistants_runs_with_the_sdks_poller(sdk):
    assistant = sdk.beta.assistants.create(model="gpt-4o", instructions="Be brief.")
    thread = sdk.beta.threads.create(messages=[{"role": "user", "content": "Name a colour."}])
    run = sdk.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id, poll_interval_ms=1)
    assert run.status == "completed" and run.instructions == "Be brief."
    newest = sdk.beta.threads.messages.list(thread_id=thread.id, limit=1).data[0]
    assert newest.content[0].text.value == reply_text("Name a colour.")
    (step,) = sdk.beta.threads.runs.steps.list(run_id=run.id, thread_id=thread.id)  # the SDK's typed RunStep
    assert step.run_id == run.id and step.step_details.type == "message_creation"
    assert step.step_details.message_creation.message_id == newest.id


def test_moderation_results_parse_as_the_sdks_types(sdk):
    (result,) = sdk.moderations.create(model="omni-moderation-latest", input="I will find you and hurt you.").results
    assert result.flagged and result.categories.violence and result.categories.harassment_threatening
    assert not result.categories.self_harm and result.category_applied_input_types.violence == ["text"]


def test_embeddings_as_the_sdk_asks_for_them(sdk):
    # The SDK asks for base64 and decodes it itself.
    vector = sdk.embeddings.create(model="text-embedding-3-small", input="stable", dimensions=32).data[0].embedding
    again = sdk.embeddings.create(model="text-embedding-3-small", input="stable", dimensions=32, encoding_format="float").data[0].embedding
    assert len(vector) == 32 and max(abs(a - b) for a, b in zip(vector, again)) < 1e-6


def test_streams(sdk):
    messages = [{"role": "user", "content": "stream me"}]
    chunks = list(sdk.chat.completions.create(model="m", messages=messages, stream=True))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == reply_text("stream me")
    with sdk.responses.stream(model="m", input="stream me too") as stream:
        final = stream.get_final_response()
    assert final.output_text == reply_text("stream me too") and final.status == "completed"


def test_streams_of_tool_calls_and_runs(sdk, oaimap_server):
    from oaimap.simulator import ToolCall

    oaimap_server.script("responses.create", ToolCall("lookup", {"q": "x"}))
    with sdk.responses.stream(model="m", input="find", tools=[{"type": "function", "name": "lookup", "parameters": {"type": "object"}}]) as stream:
        (call,) = stream.get_final_response().output
    assert call.type == "function_call" and json.loads(call.arguments) == {"q": "x"}
    assistant = sdk.beta.assistants.create(model="gpt-4o")
    thread = sdk.beta.threads.create(messages=[{"role": "user", "content": "stream a run"}])
    with sdk.beta.threads.runs.stream(thread_id=thread.id, assistant_id=assistant.id) as stream:
        stream.until_done()
        run, (message,) = stream.get_final_run(), stream.get_final_messages()
    assert run.status == "completed" and message.content[0].text.value == reply_text("stream a run")
    stored = sdk.beta.threads.messages.list(thread_id=thread.id, limit=1).data[0]
    assert stored.id == message.id  # the streamed message is the one kept in the thread
