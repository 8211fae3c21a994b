"""Fine-tuning: upload training examples, start a job, wait for it, read its events.

    python examples/fine_tuning.py [--local]
"""

import json
import tempfile
from pathlib import Path

from _common import client

examples = [
    {"messages": [{"role": "user", "content": f"What is {n} plus {n}?"}, {"role": "assistant", "content": str(n + n)}]}
    for n in range(10)
]
training = Path(tempfile.mkdtemp(prefix="oaimap-ft-")) / "train.jsonl"
training.write_text("".join(json.dumps(example) + "\n" for example in examples))

with client() as openai:
    upload = openai.call("files.create", {"file": training, "purpose": "fine-tune"})
    job = openai.call("fine_tuning.jobs.create", {"model": "gpt-4.1-mini-2025-04-14", "training_file": upload["id"], "suffix": "sums"})
    print("job:", job["id"], job["status"])
    # a polling helper declared in the spec: reads the job until it has ended
    job = openai.call("fine_tuning.jobs.poll", {"fine_tuning_job_id": job["id"], "poll_interval_ms": 1000})
    print("finished:", job["status"], job["fine_tuned_model"])
    for event in openai.paginate("fine_tuning.jobs.list_events", {"fine_tuning_job_id": job["id"]}):
        print("event:", event["message"])
