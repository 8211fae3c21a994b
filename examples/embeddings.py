"""Embeddings: vectors for a few sentences, and which one is closest to a query.

    python examples/embeddings.py [--local]
"""

from _common import client

SENTENCES = ["The cat sleeps on the sofa.", "Stock markets fell sharply today.", "A kitten naps on the couch."]
QUERY = "A cat is sleeping."

with client() as openai:
    answer = openai.call("embeddings.create", {"model": "text-embedding-3-small", "input": [QUERY, *SENTENCES], "dimensions": 256})
    query, *vectors = [item["embedding"] for item in answer["data"]]
    print("vectors:", len(answer["data"]), "of", len(query), "dimensions")
    scores = [sum(a * b for a, b in zip(query, vector)) for vector in vectors]  # unit vectors: cosine
    best = max(range(len(SENTENCES)), key=scores.__getitem__)
    print("closest:", SENTENCES[best], f"({scores[best]:.3f})")
