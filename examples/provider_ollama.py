"""Ollama through the ``ollama`` profile: its OpenAI-compatible endpoint at
http://127.0.0.1:11434/v1, no key.

Real run: ``ollama serve`` with a pulled model, set OLLAMA_BASE_URL
(http://127.0.0.1:11434/v1) and MODEL to that model.

    python examples/provider_ollama.py [--local]
"""

from _common import client

MODEL = "llama3.2"
QUESTION = "Why is the sky blue? One sentence."

with client(profile="ollama", real_if="OLLAMA_BASE_URL") as ollama:
    print("question:", QUESTION)
    answer = ollama.call("chat.completions.create", {"model": MODEL, "messages": [{"role": "user", "content": QUESTION}]})
    print("answer:", answer["choices"][0]["message"]["content"])
    vectors = ollama.call("embeddings.create", {"model": "nomic-embed-text", "input": ["sky", "sea"]})
    print("embeddings:", len(vectors["data"]))
