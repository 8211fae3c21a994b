"""vLLM through the ``vllm`` profile: an OpenAI-compatible server, with vLLM's own
sampling parameters (``top_k``, ``min_p``, ``repetition_penalty``...) checked by the
profile's schema overlay.

Real run: start ``vllm serve <model>`` and set VLLM_BASE_URL (http://127.0.0.1:8000/v1;
VLLM_API_KEY too if the server was started with --api-key), and MODEL to its model.

    python examples/provider_vllm.py [--local]
"""

from _common import client

MODEL = "meta-llama/Llama-3.1-8B-Instruct"
QUESTION = "Write a haiku about rain."

with client(profile="vllm", real_if="VLLM_BASE_URL") as vllm:
    print("models:", [model["id"] for model in vllm.paginate("models.list", {})])
    print("question:", QUESTION)
    pieces = []
    for chunk in vllm.call("chat.completions.create", {
        "model": MODEL, "messages": [{"role": "user", "content": QUESTION}], "stream": True,
        "top_k": 40, "min_p": 0.05, "repetition_penalty": 1.1,  # vLLM's extras, valid with this profile only
    }):
        for choice in chunk["choices"]:
            pieces.append(choice["delta"].get("content") or "")
    print("answer:", "".join(pieces))
