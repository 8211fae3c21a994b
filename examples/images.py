"""Images: generate a picture and save it as a PNG file.

    python examples/images.py [--local]
"""

import base64
import tempfile
from pathlib import Path

from _common import client

with client() as openai:
    answer = openai.call("images.generate", {"model": "gpt-image-1", "prompt": "A lighthouse at dawn, watercolour", "size": "1024x1024"})
    image = answer["data"][0]
    path = Path(tempfile.gettempdir()) / "oaimap-lighthouse.png"
    if image.get("b64_json"):
        path.write_bytes(base64.b64decode(image["b64_json"]))
        print("saved:", path, path.stat().st_size, "bytes")
    else:
        print("url:", image["url"])
