"""The simulator's stream events (``oaimap/simulator/streams.py``), served by the loopback
server and read by an independent client, openai-python: its Responses stream helper
rebuilds the response, its chat stream helper the tool calls, its AssistantEventHandler
the run and its message. oaimap's own client reads the same streams to their end."""

from __future__ import annotations

import warnings

import pytest

from oaimap.server import Reply, _sse_frame
from oaimap.simulator.streams import chat_chunks, response_events, run_events

from conftest import TEST_KEY

openai = pytest.importorskip("openai")
from openai.lib.streaming import AssistantEventHandler  # noqa: E402

MESSAGES = [{"role": "user", "content": "What is the weather in Paris?"}]

REASONING = {"id": "rs_1", "type": "reasoning",
             "summary": [{"type": "summary_text", "text": "The user wants the weather; call the tool."}]}
MESSAGE_ITEM = {"id": "msg_1", "type": "message", "role": "assistant", "status": "completed",
                "content": [{"type": "output_text", "text": "Let me look up the weather in Paris.", "annotations": [], "logprobs": []}]}
FUNCTION_CALL = {"id": "fc_1", "type": "function_call", "call_id": "call_1", "name": "get_weather",
                 "arguments": '{"city":"Paris","unit":"celsius"}', "status": "completed"}
RESPONSE = {
    "id": "resp_1", "object": "response", "created_at": 1700000000, "status": "completed", "error": None,
    "incomplete_details": None, "instructions": None, "max_output_tokens": None, "model": "gpt-test",
    "output": [REASONING, MESSAGE_ITEM, FUNCTION_CALL], "parallel_tool_calls": True, "previous_response_id": None,
    "store": True, "temperature": 1.0, "text": {"format": {"type": "text"}}, "tool_choice": "auto", "tools": [],
    "top_p": 1.0, "truncation": "disabled", "metadata": {},
    "usage": {"input_tokens": 12, "input_tokens_details": {"cached_tokens": 0}, "output_tokens": 30,
              "output_tokens_details": {"reasoning_tokens": 10}, "total_tokens": 42},
}

COMPLETION = {
    "id": "chatcmpl-1", "object": "chat.completion", "created": 1700000000, "model": "gpt-test",
    "choices": [{"index": 0, "finish_reason": "tool_calls", "logprobs": None, "message": {
        "role": "assistant", "content": None, "refusal": None, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city":"Paris","unit":"celsius"}'}},
            {"id": "call_2", "type": "function", "function": {"name": "get_time", "arguments": '{"zone":"Europe/Paris"}'}},
        ]}}],
    "usage": {"prompt_tokens": 12, "completion_tokens": 20, "total_tokens": 32},
}

RUN = {
    "id": "run_1", "object": "thread.run", "created_at": 1700000000, "assistant_id": "asst_1", "thread_id": "thread_1",
    "status": "completed", "started_at": 1700000001, "expires_at": None, "cancelled_at": None, "failed_at": None,
    "completed_at": 1700000003, "required_action": None, "last_error": None, "model": "gpt-test", "instructions": "",
    "tools": [], "metadata": {}, "incomplete_details": None, "temperature": 1.0, "top_p": 1.0,
    "max_prompt_tokens": None, "max_completion_tokens": None, "truncation_strategy": {"type": "auto", "last_messages": None},
    "response_format": "auto", "tool_choice": "auto", "parallel_tool_calls": True,
    "usage": {"prompt_tokens": 12, "completion_tokens": 8, "total_tokens": 20},
}
MESSAGE = {
    "id": "msg_1", "object": "thread.message", "created_at": 1700000002, "assistant_id": "asst_1", "thread_id": "thread_1",
    "run_id": "run_1", "role": "assistant", "status": "completed", "completed_at": 1700000003, "incomplete_at": None,
    "incomplete_details": None, "attachments": [], "metadata": {},
    "content": [{"type": "text", "text": {"value": "It is 18 degrees and sunny in Paris.", "annotations": []}}],
}
TOOL_CALL = {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'}}
WAITING_RUN = {**RUN, "status": "requires_action", "completed_at": None, "usage": None,
               "required_action": {"type": "submit_tool_outputs", "submit_tool_outputs": {"tool_calls": [TOOL_CALL]}}}


@pytest.fixture
def sdk(server):
    with openai.OpenAI(api_key=TEST_KEY, base_url=server.url, max_retries=0) as sdk:
        yield sdk


def _without_parsed(value):
    """openai-python's parsed response, without the fields its parser adds."""
    if isinstance(value, dict):
        return {k: _without_parsed(v) for k, v in value.items() if k not in ("parsed", "parsed_arguments")}
    if isinstance(value, list):
        return [_without_parsed(v) for v in value]
    return value


def test_openai_python_rebuilds_the_streamed_response(server, sdk):
    sent = response_events(RESPONSE)
    server.script("responses.create", Reply(events=sent))
    with sdk.responses.stream(model="gpt-test", input="What is the weather in Paris?") as stream:
        received = list(stream)
        final = stream.get_final_response()
    assert _without_parsed(final.to_dict()) == RESPONSE
    assert [e.sequence_number for e in received] == list(range(len(sent)))
    for event, wire in zip(received, sent):  # each event is its own typed model, with the fields we send
        assert event.type == wire["type"] and set(wire) <= set(type(event).model_fields), wire["type"]
    by_type = lambda kind: [e for e in received if e.type == kind]  # noqa: E731
    assert by_type("response.output_text.delta")[-1].snapshot == MESSAGE_ITEM["content"][0]["text"]
    assert len(by_type("response.output_text.delta")) > 3
    assert by_type("response.function_call_arguments.delta")[-1].snapshot == FUNCTION_CALL["arguments"]
    assert by_type("response.function_call_arguments.done")[0].name == "get_weather"
    summary = "".join(e.delta for e in by_type("response.reasoning_summary_text.delta"))
    assert summary == by_type("response.reasoning_summary_text.done")[0].text == REASONING["summary"][0]["text"]
    assert [e.item.id for e in by_type("response.output_item.added")] == ["rs_1", "msg_1", "fc_1"]
    created = by_type("response.created")[0].response
    assert created.status == "in_progress" and created.output == [] and created.usage is None


def test_refusals_and_annotations_stream_as_their_own_events(server, sdk):
    cited = {"type": "output_text", "text": "See the forecast.", "logprobs": [],
             "annotations": [{"type": "url_citation", "url": "https://example.com/paris", "title": "Paris", "start_index": 8, "end_index": 16}]}
    refusal = {"type": "refusal", "refusal": "I cannot share that part."}
    response = {**RESPONSE, "output": [{**MESSAGE_ITEM, "content": [cited, refusal]}]}
    sent = response_events(response)
    server.script("responses.create", Reply(events=sent))
    received = list(sdk.responses.create(model="gpt-test", input="hi", stream=True))
    for event, wire in zip(received, sent):
        assert event.type == wire["type"] and set(wire) <= set(type(event).model_fields), wire["type"]
    assert [e.annotation.url for e in received if e.type == "response.output_text.annotation.added"] == ["https://example.com/paris"]
    assert "".join(e.delta for e in received if e.type == "response.refusal.delta") == refusal["refusal"]
    assert [e.content_index for e in received if e.type == "response.content_part.done"] == [0, 1]
    assert received[-1].response.to_dict() == response


@pytest.mark.parametrize("status, last", [("incomplete", "response.incomplete"), ("failed", "response.failed")])
def test_an_unfinished_response_ends_with_its_status(server, sdk, client, status, last):
    response = {**RESPONSE, "status": status, "output": [MESSAGE_ITEM]}
    server.script("responses.create", Reply(events=response_events(response)), Reply(events=response_events(response)))
    received = list(sdk.responses.create(model="gpt-test", input="hi", stream=True))
    assert received[-1].type == last and received[-1].response.status == status
    ours = list(client.call("responses.create", {"model": "gpt-test", "input": "hi", "stream": True}))
    assert ours[-1] == {"type": last, "response": response, "sequence_number": len(ours) - 1}


def test_a_response_still_in_progress_cannot_be_streamed_as_finished():
    with pytest.raises(ValueError, match="in_progress"):
        response_events({**RESPONSE, "status": "in_progress"})


def test_openai_python_reassembles_streamed_tool_calls(server, sdk):
    chunks = chat_chunks(COMPLETION, {})
    server.script("chat.completions.create", Reply(events=[*chunks, "[DONE]"]))
    with sdk.chat.completions.stream(model="gpt-test", messages=MESSAGES) as stream:
        final = stream.get_final_completion()
    choice = final.choices[0]
    assert choice.finish_reason == "tool_calls"
    calls = [(c.id, c.type, c.function.name, c.function.arguments) for c in choice.message.tool_calls]
    expected = COMPLETION["choices"][0]["message"]["tool_calls"]
    assert calls == [(c["id"], c["type"], c["function"]["name"], c["function"]["arguments"]) for c in expected]
    opening = chunks[1]["choices"][0]["delta"]["tool_calls"][0]
    assert opening == {"index": 0, "id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": ""}}
    assert sum("tool_calls" in c["choices"][0]["delta"] for c in chunks) > 4  # arguments come in fragments


def test_text_before_tool_calls_streams_first(server, sdk):
    message = {**COMPLETION["choices"][0]["message"], "content": "Checking two things."}
    completion = {**COMPLETION, "choices": [{**COMPLETION["choices"][0], "message": message}]}
    server.script("chat.completions.create", Reply(events=[*chat_chunks(completion, {}), "[DONE]"]))
    with sdk.chat.completions.stream(model="gpt-test", messages=MESSAGES) as stream:
        final = stream.get_final_completion().choices[0].message
    assert final.content == "Checking two things." and [c.function.name for c in final.tool_calls] == ["get_weather", "get_time"]


class Recorder(AssistantEventHandler):
    def __init__(self) -> None:
        super().__init__()
        self.pieces: list[str] = []
        self.texts: list[str] = []
        self.tool_calls: list = []
        self.steps: list = []
        self.events: list = []

    def on_event(self, event) -> None:
        self.events.append(event)

    def on_text_delta(self, delta, snapshot) -> None:
        self.pieces.append(delta.value)

    def on_text_done(self, text) -> None:
        self.texts.append(text.value)

    def on_tool_call_done(self, tool_call) -> None:
        self.tool_calls.append(tool_call)

    def on_run_step_done(self, run_step) -> None:
        self.steps.append(run_step)


def _assert_typed(received, sent):
    """openai-python read every event but ``done`` (which ends the stream) into its typed
    model, and knows every field we send."""
    assert [e.event for e in received] == [e["event"] for e in sent[:-1]]
    for event, wire in zip(received, sent):
        assert set(wire["data"]) <= set(type(event.data).model_fields), wire["event"]


@pytest.fixture
def handler():
    with warnings.catch_warnings():  # the Assistants API is deprecated in openai-python
        warnings.simplefilter("ignore", DeprecationWarning)
        yield Recorder()


def test_openai_python_follows_a_streamed_run(server, sdk, handler):
    sent = run_events(RUN, MESSAGE)
    server.script("beta.threads.runs.create", Reply(events=sent))
    with sdk.beta.threads.runs.stream(thread_id="thread_1", assistant_id="asst_1", event_handler=handler) as stream:
        stream.until_done()
        run, messages = stream.get_final_run(), stream.get_final_messages()
    text = MESSAGE["content"][0]["text"]["value"]
    assert "".join(handler.pieces) == text and len(handler.pieces) > 3 and handler.texts == [text]
    assert run.to_dict() == RUN
    _assert_typed(handler.events, sent)
    assert [m.to_dict() for m in messages] == [MESSAGE]
    # the step as completed (get_final_run_steps() keeps the step's in_progress snapshot: it ignores step.completed)
    assert [(s.type, s.status, s.step_details.message_creation.message_id) for s in handler.steps] == [("message_creation", "completed", "msg_1")]


def test_openai_python_sees_the_tool_calls_a_run_waits_for(server, sdk, handler):
    sent = run_events(WAITING_RUN, None)
    server.script("beta.threads.create_and_run", Reply(events=sent))
    with sdk.beta.threads.create_and_run_stream(assistant_id="asst_1", thread={"messages": MESSAGES}, event_handler=handler) as stream:
        stream.until_done()
        run = stream.get_final_run()
    assert run.to_dict() == WAITING_RUN
    _assert_typed(handler.events, sent)
    assert [(c.id, c.function.name, c.function.arguments) for c in handler.tool_calls] == [("call_1", "get_weather", '{"city":"Paris"}')]
    assert handler.pieces == []  # no message


def test_given_steps_stream_in_order(server, sdk, handler):
    common = {"object": "thread.run.step", "created_at": 1700000001, "assistant_id": "asst_1", "thread_id": "thread_1",
              "run_id": "run_1", "status": "completed", "completed_at": 1700000002, "cancelled_at": None, "expired_at": None,
              "failed_at": None, "last_error": None, "metadata": {}, "usage": None}
    done_call = {**TOOL_CALL, "function": {**TOOL_CALL["function"], "output": "18C, sunny"}}
    tool_step = {**common, "id": "step_1", "type": "tool_calls", "step_details": {"type": "tool_calls", "tool_calls": [done_call]}}
    message_step = {**common, "id": "step_2", "type": "message_creation",
                    "step_details": {"type": "message_creation", "message_creation": {"message_id": "msg_1"}}}
    sent = run_events(RUN, MESSAGE, [tool_step, message_step])
    server.script("beta.threads.runs.create", Reply(events=sent))
    with sdk.beta.threads.runs.stream(thread_id="thread_1", assistant_id="asst_1", event_handler=handler) as stream:
        stream.until_done()
    _assert_typed(handler.events, sent)
    # openai-python reports the call done at its step's end, again at each later step's and at the run's: count it once
    assert {(c.id, c.function.arguments) for c in handler.tool_calls} == {("call_1", '{"city":"Paris"}')}
    assert [s.to_dict() for s in handler.steps] == [tool_step, message_step]
    assert handler.texts == [MESSAGE["content"][0]["text"]["value"]]


def test_the_run_stream_shape():
    events = run_events(RUN, MESSAGE)
    names = [e["event"] for e in events]
    assert names[:8] == ["thread.run.created", "thread.run.queued", "thread.run.in_progress", "thread.run.step.created",
                         "thread.run.step.in_progress", "thread.message.created", "thread.message.in_progress", "thread.message.delta"]
    assert names[-4:] == ["thread.message.completed", "thread.run.step.completed", "thread.run.completed", "done"]
    assert events[0]["data"]["status"] == "queued" and events[2]["data"]["status"] == "in_progress"
    assert events[7]["data"] == {"id": "msg_1", "object": "thread.message.delta",
                                 "delta": {"content": [{"index": 0, "type": "text", "text": {"value": "It ", "annotations": []}}]}}
    assert _sse_frame(events[-1]) == b"event: done\ndata: [DONE]\n\n"


RUN_CALL = {"thread_id": "thread_1", "assistant_id": "asst_1", "stream": True}
RESPONSE_CALL = {"model": "gpt-test", "input": "hi", "stream": True}


def test_oaimap_reads_the_streams_to_their_end(server, client):
    server.script("responses.create", Reply(events=response_events(RESPONSE)))
    server.script("chat.completions.create", Reply(events=[*chat_chunks(COMPLETION, {}), "[DONE]"]))
    server.script("beta.threads.runs.create", Reply(events=run_events(RUN, MESSAGE)))
    assert list(client.call("responses.create", RESPONSE_CALL))[-1]["response"] == RESPONSE
    chunks = list(client.call("chat.completions.create", {"model": "gpt-test", "messages": MESSAGES, "stream": True}))
    assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"
    events = list(client.call("beta.threads.runs.create", RUN_CALL))
    assert events[-1] == {"event": "thread.run.completed", "data": RUN}  # `done` ends the stream, unseen


async def test_oaimap_reads_the_streams_to_their_end_async(server, aclient):
    server.script("responses.create", Reply(events=response_events(RESPONSE)))
    server.script("beta.threads.runs.create", Reply(events=run_events(WAITING_RUN, None)))
    responses = [e async for e in await aclient.call("responses.create", RESPONSE_CALL)]
    assert responses[-1]["type"] == "response.completed" and len(responses) == len(response_events(RESPONSE))
    events = [e async for e in await aclient.call("beta.threads.runs.create", RUN_CALL)]
    assert events[-1] == {"event": "thread.run.requires_action", "data": WAITING_RUN}
