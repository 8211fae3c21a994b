"""Audio: speak a sentence into an MP3 file, then transcribe that file back to text.

    python examples/audio.py [--local]
"""

import tempfile
from pathlib import Path

from _common import client

SENTENCE = "The quick brown fox jumps over the lazy dog."
speech = Path(tempfile.gettempdir()) / "oaimap-speech.mp3"

with client() as openai:
    # a binary answer streams straight into the file given as output=
    openai.call("audio.speech.create", {"model": "gpt-4o-mini-tts", "voice": "alloy", "input": SENTENCE}, output=speech)
    print("speech:", speech, speech.stat().st_size, "bytes")
    # a file parameter takes a path: it is streamed from disk as multipart
    heard = openai.call("audio.transcriptions.create", {"model": "gpt-4o-mini-transcribe", "file": speech})
    print("transcript:", heard["text"])
