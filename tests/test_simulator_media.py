"""The simulator's media answers, read by decoders nobody here wrote: its images by
Pillow, its MP3 speech by mutagen, its WAV by the standard library's ``wave``; and
through openai-python's own client. Speech transcribed gives its text back."""

from __future__ import annotations

import base64
import io
import urllib.request
import wave

import mutagen.mp3
import pytest
from PIL import Image

from oaimap.simulator.media import SECONDS_PER_CHARACTER, SPEECH_RATE

SENTENCE = "Simulated voices say what they are given."


def _image(b64: str) -> Image.Image:
    image = Image.open(io.BytesIO(base64.b64decode(b64)))
    image.load()  # decodes every row: a broken stream fails here
    return image


def test_generated_images_have_the_size_and_count_asked_for(oaimap_client):
    answer = oaimap_client.call("images.generate", {"model": "gpt-image-1", "prompt": "a red kite", "size": "1536x1024", "n": 2})
    images = [_image(item["b64_json"]) for item in answer["data"]]
    assert [(i.format, i.size, i.mode) for i in images] == [("PNG", (1536, 1024), "RGB")] * 2
    assert answer["size"] == "1536x1024" and answer["usage"]["input_tokens"] == 3
    again = oaimap_client.call("images.generate", {"model": "gpt-image-1", "prompt": "a red kite", "size": "1536x1024"})
    other = oaimap_client.call("images.generate", {"model": "gpt-image-1", "prompt": "a blue kite", "size": "1536x1024"})
    assert again["data"][0]["b64_json"] == answer["data"][0]["b64_json"]  # deterministic
    assert _image(other["data"][0]["b64_json"]).getpixel((0, 0)) != images[0].getpixel((0, 0))


def test_a_url_answer_is_a_data_url_any_url_reader_opens(oaimap_client):
    answer = oaimap_client.call("images.generate", {"model": "dall-e-3", "prompt": "a harbour", "size": "1024x1792"})
    (item,) = answer["data"]
    assert item["url"].startswith("data:image/png;base64,") and item["revised_prompt"] == "a harbour"
    with urllib.request.urlopen(item["url"]) as opened:  # the standard library's data: handler
        image = Image.open(io.BytesIO(opened.read()))
        image.load()
    assert image.size == (1024, 1792)


def test_an_edit_and_a_variation_answer_images_too(oaimap_client):
    png = io.BytesIO()
    Image.new("RGB", (8, 8), (0, 0, 0)).save(png, "PNG")
    edited = oaimap_client.call("images.edit", {"model": "gpt-image-1", "image": ("in.png", png.getvalue()), "prompt": "add a hat", "size": "1024x1024"})
    assert _image(edited["data"][0]["b64_json"]).size == (1024, 1024)
    varied = oaimap_client.call("images.create_variation", {"image": ("in.png", png.getvalue()), "size": "256x256", "response_format": "b64_json"})
    assert _image(varied["data"][0]["b64_json"]).size == (256, 256)


@pytest.mark.parametrize("fmt", ["mp3", "wav", "pcm"])
def test_speech_lasts_as_long_as_the_text_takes_to_say(oaimap_client, tmp_path, fmt):
    path = tmp_path / f"speech.{fmt}"
    oaimap_client.call("audio.speech.create", {"model": "gpt-4o-mini-tts", "voice": "alloy", "input": SENTENCE, "response_format": fmt}, output=path)
    seconds = len(SENTENCE) * SECONDS_PER_CHARACTER
    if fmt == "mp3":
        info = mutagen.mp3.MP3(path).info
        assert (info.bitrate, info.sample_rate, info.channels) == (128_000, 44_100, 1)
        assert abs(info.length - seconds) < 0.03  # within one frame
    elif fmt == "wav":
        with wave.open(str(path)) as file:
            assert (file.getframerate(), file.getsampwidth(), file.getnchannels()) == (SPEECH_RATE, 2, 1)
            assert file.getnframes() == int(seconds * SPEECH_RATE)
    else:
        assert path.stat().st_size == 2 * int(seconds * SPEECH_RATE)  # 16-bit mono samples


def test_speech_transcribed_gives_its_text_back_in_each_format(oaimap_client, tmp_path):
    path = tmp_path / "speech.mp3"
    oaimap_client.call("audio.speech.create", {"model": "gpt-4o-mini-tts", "voice": "alloy", "input": SENTENCE}, output=path)
    heard = oaimap_client.call("audio.transcriptions.create", {"model": "gpt-4o-mini-transcribe", "file": path})
    assert heard["text"] == SENTENCE and heard["usage"]["type"] == "tokens"
    verbose = oaimap_client.call("audio.transcriptions.create", {"model": "whisper-1", "file": path, "response_format": "verbose_json"})
    assert verbose["text"] == verbose["segments"][0]["text"] == SENTENCE and verbose["task"] == "transcribe"
    translated = oaimap_client.call("audio.translations.create", {"model": "whisper-1", "file": path})
    assert translated == {"text": SENTENCE}
    subtitles = oaimap_client.call("audio.transcriptions.create", {"model": "whisper-1", "file": path, "response_format": "vtt"})
    assert isinstance(subtitles, str) and subtitles.startswith("WEBVTT\n") and SENTENCE in subtitles  # text_when: a str
    assert oaimap_client.call("audio.translations.create", {"model": "whisper-1", "file": path, "response_format": "text"}) == SENTENCE + "\n"
    long = tmp_path / "long.mp3"
    oaimap_client.call("audio.speech.create", {"model": "tts-1", "voice": "alloy", "input": "word " * 300}, output=long)
    srt = oaimap_client.call("audio.transcriptions.create", {"model": "whisper-1", "file": long, "response_format": "srt"})
    assert srt.startswith("1\n00:00:00,000 --> 00:01:30,000\n")  # 1,500 characters: a minute and a half
    unknown = oaimap_client.call("audio.transcriptions.create", {"model": "whisper-1", "file": ("other.wav", b"RIFF....")})
    assert unknown["text"] == "Simulated transcript of other.wav." and unknown["usage"]["type"] == "duration"


def test_openai_python_reads_the_media(oaimap_server, tmp_path):
    from openai import OpenAI

    sdk = OpenAI(api_key="sk-test", base_url=oaimap_server.url, max_retries=0)
    image = sdk.images.generate(model="gpt-image-1", prompt="a lighthouse", size="1024x1536")
    assert _image(image.data[0].b64_json).size == (1024, 1536) and image.usage.input_tokens == 2
    spoken = sdk.audio.speech.create(model="gpt-4o-mini-tts", voice="alloy", input=SENTENCE)
    path = tmp_path / "sdk.mp3"
    spoken.write_to_file(path)
    assert mutagen.mp3.MP3(path).info.length > 1
    assert sdk.audio.transcriptions.create(model="gpt-4o-mini-transcribe", file=path).text == SENTENCE
    text = sdk.audio.transcriptions.create(model="whisper-1", file=path, response_format="text")
    assert text.strip() == SENTENCE  # the SDK's plain-text answer
    srt = sdk.audio.transcriptions.create(model="whisper-1", file=path, response_format="srt")
    assert srt.startswith("1\n00:00:00,000 --> 00:00:02,") and SENTENCE in srt
