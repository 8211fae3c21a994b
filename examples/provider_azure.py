"""Azure OpenAI through the ``azure`` profile: the payload's model names the deployment
(``/openai/deployments/{model}/chat/completions``), the key goes in the ``api-key``
header, and every request carries the ``api-version`` query.

Real run: set AZURE_OPENAI_ENDPOINT (https://<resource>.openai.azure.com) and
AZURE_OPENAI_API_KEY, and use your deployment's name for DEPLOYMENT.

    python examples/provider_azure.py [--local]
"""

from _common import client

DEPLOYMENT = "gpt-4o-mini"
QUESTION = "Say hello in Portuguese."

with client(profile="azure", real_if="AZURE_OPENAI_API_KEY") as azure:
    print("question:", QUESTION)
    answer = azure.call("chat.completions.create", {"model": DEPLOYMENT, "messages": [{"role": "user", "content": QUESTION}]})
    print("answer:", answer["choices"][0]["message"]["content"])
    print("path:", answer.meta.http_response.request.url.raw_path.decode())  # where the request went
