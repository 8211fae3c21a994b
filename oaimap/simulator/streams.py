# TEMPORARY placeholder until the helper's module lands (not committed)
from ..server import _chunks as chat_chunks
def response_events(r): return [{"type": "response.created", "response": r, "sequence_number": 0}, {"type": "response.completed", "response": r, "sequence_number": 1}]
def run_events(run, message, steps=None): return [{"event": "thread.run.completed", "data": run}]
