"""Vector-store search: upload documents into a vector store, wait until they are
indexed, then search them.

    python examples/vector_store_search.py [--local]
"""

import tempfile
from pathlib import Path

from _common import client

folder = Path(tempfile.mkdtemp(prefix="oaimap-docs-"))
documents = {
    "returns.md": "Items can be returned within 30 days with the receipt.",
    "shipping.md": "Orders ship within two working days; express delivery costs extra.",
}
for name, text in documents.items():
    (folder / name).write_text(text)

with client() as openai:
    store = openai.call("vector_stores.create", {"name": "shop policies"})
    print("store:", store["id"])
    batch = openai.call("vector_stores.file_batches.upload_and_poll", {
        "vector_store_id": store["id"], "files": sorted(folder.iterdir()), "poll_interval_ms": 500})
    print("indexed:", batch["status"], batch["file_counts"]["completed"], "files")
    found = openai.call("vector_stores.search", {
        "vector_store_id": store["id"], "query": "How long do I have to return something?", "max_num_results": 3})
    for hit in found["data"]:
        print("hit:", hit["filename"], round(hit["score"], 3))
    openai.call("vector_stores.delete", {"vector_store_id": store["id"]})
