"""Bytes the simulator answers where the API answers media: images that open in an image
viewer, speech files a player accepts. Deterministic: the same request gives the same
bytes. They show the request's shape (size, format, length of the text), not its meaning.
"""

from __future__ import annotations

import hashlib
import io
import struct
import wave
import zlib

SPEECH_RATE = 24_000  # Hz, the API's rate for pcm and wav
SECONDS_PER_CHARACTER = 0.06  # about how long a voice takes to say one character
# One MPEG-1 Layer III frame (128 kbit/s, 44.1 kHz, mono, no CRC) holds 1,152 samples.
_MP3_HEADER = bytes([0xFF, 0xFB, 0x90, 0xC4])
_MP3_FRAME = 417
_MP3_FRAME_SECONDS = 1152 / 44_100


def colour(seed: str) -> tuple[int, int, int]:
    """A colour that depends on ``seed`` (a prompt) only."""
    r, g, b = hashlib.sha256(seed.encode()).digest()[:3]
    return r, g, b


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A ``width`` x ``height`` PNG filled with ``rgb`` (8-bit truecolour, no alpha)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\x00" + bytes(rgb) * width  # filter type 0, then the pixels
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(row * height, 9)) + chunk(b"IEND", b"")


def image_size(size: object, default: tuple[int, int] = (1024, 1024)) -> tuple[int, int]:
    """``"1536x1024"`` as (1536, 1024); ``"auto"`` or nothing as ``default``."""
    if isinstance(size, str) and "x" in size:
        width, _, height = size.partition("x")
        if width.isdigit() and height.isdigit():
            return int(width), int(height)
    return default


def speech(text: str, response_format: str = "mp3") -> bytes:
    """Silence as long as a voice takes to say ``text``: a WAV file, raw 16-bit PCM, or
    (every other format) MPEG audio frames, which players and decoders accept."""
    seconds = max(0.2, len(text) * SECONDS_PER_CHARACTER)
    if response_format in ("wav", "pcm"):
        samples = b"\x00\x00" * int(seconds * SPEECH_RATE)
        if response_format == "pcm":
            return samples
        out = io.BytesIO()
        with wave.open(out, "wb") as file:
            file.setnchannels(1)
            file.setsampwidth(2)
            file.setframerate(SPEECH_RATE)
            file.writeframes(samples)
        return out.getvalue()
    frame = _MP3_HEADER + bytes(_MP3_FRAME - len(_MP3_HEADER))
    return frame * max(1, round(seconds / _MP3_FRAME_SECONDS))
