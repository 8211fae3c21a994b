"""Realtime client secret: the server (which holds the API key) mints a short-lived
secret for one Realtime session, and hands only that to a browser, which connects with
WebRTC or a websocket using it.

    python examples/realtime_client_secrets.py [--local]
"""

import json

from _common import client

with client() as openai:
    secret = openai.call("realtime.client_secrets.create", {
        "expires_after": {"anchor": "created_at", "seconds": 600},
        "session": {"type": "realtime", "model": "gpt-realtime", "instructions": "You are a friendly concierge.",
                    "audio": {"output": {"voice": "marin"}}},
    })
    print("session:", secret["session"]["type"], secret["session"]["model"])
    print("expires at:", secret["expires_at"])
    # what the page receives (e.g. as the answer to its fetch): the secret, never the API key
    handoff = {"client_secret": secret["value"], "expires_at": secret["expires_at"]}
    print("hand-off:", json.dumps(handoff)[:40] + "...")
