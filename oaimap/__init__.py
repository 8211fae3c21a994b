"""oaimap: one declarative door to the whole OpenAI API.

    from oaimap import Client
    client = Client()                      # key from OPENAI_API_KEY
    client.call("responses.create", {"model": "gpt-4.1-mini", "input": "hi"})

Operations are data (``specs/*.yaml``); this package is the generic runtime.
"""

__version__ = "0.1.0"

# Names are imported on first use (PEP 562): `import oaimap` stays cheap, and httpx,
# jsonschema and the specs are loaded only when a client is made.
_EXPORTS = {
    "Client": "client",
    "AsyncClient": "client",
    "ServiceHost": "host",
    "SpecRegistry": "specs",
    "Operation": "specs",
    "MAX_NESTING": "sendable",
    "MAX_INT": "sendable",
    "MAX_PATH_PARAM": "sendable",
    "Profile": "profiles",
    "RetryPolicy": "retries",
    "RetryBudget": "retries",
    "Progress": "progress",
    "MapResult": "fanout",
    "BatchJob": "batching",
    "BatchLimits": "batching",
    "BatchOutcome": "batching",
    "BatchNotAccepted": "batching",
}


def __getattr__(name: str):
    module = _EXPORTS.get(name, "errors" if name in __all__ else None)
    if module is None:
        raise AttributeError(f"module 'oaimap' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "__version__",
    "BatchJob",
    "BatchLimits",
    "BatchOutcome",
    "BatchNotAccepted",
    "AsyncClient",
    "Client",
    "ServiceHost",
    "SpecRegistry",
    "Operation",
    "MAX_NESTING",
    "MAX_INT",
    "MAX_PATH_PARAM",
    "OaimapError",
    "ValidationError",
    "Violation",
    "SpecError",
    "UnsupportedOperationError",
    "UsageError",
    "Profile",
    "RetryPolicy",
    "RetryBudget",
    "UnknownOperationError",
    "ConfigurationError",
    "APIError",
    "APIConnectionError",
    "APITimeoutError",
    "APIStatusError",
    "APIResponseValidationError",
    "BadRequestError",
    "AuthenticationError",
    "PermissionDeniedError",
    "NotFoundError",
    "ConflictError",
    "UnprocessableEntityError",
    "RateLimitError",
    "InternalServerError",
    "StreamError",
    "PollTimeoutError",
    "UploadIncompleteError",
    "CheckpointError",
    "RecordedError",
    "Progress",
    "MapResult",
    "WebSocketError",
    "WebSocketClosedError",
    "WebhookVerificationError",
]
