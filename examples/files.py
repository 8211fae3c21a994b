"""Files: upload a JSONL file, find it in the list, download it again, delete it.

    python examples/files.py [--local]
"""

import json
import tempfile
from pathlib import Path

from _common import client

folder = Path(tempfile.mkdtemp(prefix="oaimap-files-"))
original = folder / "requests.jsonl"
rows = [{"custom_id": f"q{n}", "method": "POST", "url": "/v1/embeddings",
         "body": {"model": "text-embedding-3-small", "input": f"line {n}"}} for n in range(3)]
original.write_text("".join(json.dumps(row) + "\n" for row in rows))

with client() as openai:
    uploaded = openai.call("files.create", {"file": original, "purpose": "batch"})  # a path: streamed from disk
    print("uploaded:", uploaded["id"], uploaded["filename"], uploaded["bytes"], "bytes")
    listed = [f["id"] for f in openai.paginate("files.list", {"purpose": "batch"})]
    print("listed:", uploaded["id"] in listed)
    copy = folder / "copy.jsonl"
    openai.call("files.content", {"file_id": uploaded["id"]}, output=copy)  # streamed into the file
    print("same bytes:", copy.read_bytes() == original.read_bytes())
    print("deleted:", openai.call("files.delete", {"file_id": uploaded["id"]})["deleted"])
