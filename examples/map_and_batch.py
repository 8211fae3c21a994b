"""Many calls: ``client.map`` for bounded concurrency on this machine, then the same rows
through the Batch API (upload, batch, wait, results joined back to each custom id).

    python examples/map_and_batch.py [--local]
"""

from _common import client

TEXTS = ["I love this product!", "Terrible service, never again.", "It arrived on Tuesday.", "Best purchase this year."]
ROWS = [{"model": "text-embedding-3-small", "input": text, "dimensions": 64} for text in TEXTS]
ROWS.append({"model": "text-embedding-3-small"})  # no input: this item fails validation, the others go on

with client() as openai:
    # one call per row, at most 4 in flight, results in input order; a failure is a result
    for result in openai.map("embeddings.create", ROWS, concurrency=4):
        if result.ok:
            print("mapped:", result.index, len(result.value["data"][0]["embedding"]), "dimensions")
        else:
            print("failed:", result.index, type(result.error).__name__)

    # the valid rows again, through the provider's batch engine (can take up to 24 h for real)
    job = openai.batch.submit("embeddings.create", ROWS[:-1], custom_ids=[f"text-{i}" for i in range(len(TEXTS))])
    print("batches:", len(job.batch_ids))
    openai.batch.wait(job, poll_interval_ms=1000)  # a real batch takes minutes to hours: poll less often there
    for custom_id, outcome in openai.batch.results(job).items():
        print("batched:", custom_id, outcome.status, len(outcome.body["data"][0]["embedding"]) if outcome.ok else outcome.status_code)
