"""Which family an operation new to the specs joins, and what the importer writes for a
family it creates (fixed headers, title, summary, reference page)."""

from __future__ import annotations

import re
from typing import Mapping

from .document import DocOperation
from .naming import bare_route, literal_segments

# Operations the seed lacks and no existing operation shares a path prefix with go by
# the first matching route prefix here, then by the document's x-oaiMeta group.
ROUTE_FAMILIES = (
    ("/organization/usage/", "admin-usage"),
    ("/organization/costs", "admin-usage"),
    ("/organization/projects", "admin-projects"),
    ("/projects/", "admin-projects"),
    ("/organization/users", "admin-users"),
    ("/organization/groups", "admin-users"),
    ("/organization/invites", "admin-users"),
    ("/organization/roles", "admin-users"),
    ("/organization/", "admin-organization"),
)


# Fixed headers the API needs but the document does not declare (wire-conventions.md).
FAMILY_HEADERS = {
    "assistants": {"OpenAI-Beta": "assistants=v2"},
    "threads": {"OpenAI-Beta": "assistants=v2"},
    "messages": {"OpenAI-Beta": "assistants=v2"},
    "runs": {"OpenAI-Beta": "assistants=v2"},
    # Vector stores grew out of the Assistants API: openai-python sends the header on every
    # vector-store call, and so do most of the document's own vector-store examples.
    "vector-stores": {"OpenAI-Beta": "assistants=v2"},
    "vector-store-files": {"OpenAI-Beta": "assistants=v2"},
    "vector-store-file-batches": {"OpenAI-Beta": "assistants=v2"},
    "chatkit": {"OpenAI-Beta": "chatkit_beta=v1"},
}


# Title, one-line summary (our words) and API reference page of each family.
FAMILY_INFO = {
    "admin-organization": ("Administration: organization", "Organization settings for admins: admin API keys, audit logs, certificates, data retention, spend limits and alerts.", "administration"),
    "admin-projects": ("Administration: projects", "Create and manage projects and what they contain: users, groups, service accounts, API keys, roles, limits and permissions.", "projects"),
    "admin-usage": ("Administration: usage and costs", "Usage buckets per product and cost reports for the organization.", "usage"),
    "admin-users": ("Administration: users, groups, roles", "Organization members, invites, groups and role assignments.", "users"),
    "assistants": ("Assistants", "Create and manage assistants (beta Assistants API).", "assistants"),
    "audio": ("Audio", "Speech synthesis, transcription, translation, and custom voices with their consents.", "audio"),
    "batch": ("Batch", "Run many requests asynchronously from an uploaded file.", "batch"),
    "chat": ("Chat Completions", "Generate chat completions and manage stored ones.", "chat"),
    "chatkit": ("ChatKit", "ChatKit sessions and threads (beta).", "chatkit"),
    "completions": ("Completions (legacy)", "The legacy text completion endpoint.", "completions"),
    "container-files": ("Container files", "Files inside a code interpreter container.", "container-files"),
    "containers": ("Containers", "Code interpreter containers.", "containers"),
    "content-provenance-checks": ("Content provenance checks", "Check whether content carries provenance marks.", "content-provenance-checks"),
    "conversations": ("Conversations", "Stored conversations and their items.", "conversations"),
    "embeddings": ("Embeddings", "Turn text into embedding vectors.", "embeddings"),
    "evals": ("Evals", "Define evaluations, run them and read their results.", "evals"),
    "files": ("Files", "Upload, list, read and delete files.", "files"),
    "fine-tuning": ("Fine-tuning", "Fine-tuning jobs, their events and checkpoints, checkpoint permissions and graders.", "fine-tuning"),
    "images": ("Images", "Generate, edit and vary images.", "images"),
    "messages": ("Messages", "Messages of an assistants thread (beta).", "messages"),
    "models": ("Models", "List, inspect and delete models.", "models"),
    "moderations": ("Moderations", "Classify text and images for harmful content.", "moderations"),
    "realtime": ("Realtime", "Realtime sessions, client secrets and SIP / WebRTC calls.", "realtime"),
    "responses": ("Responses", "Generate model output; read, cancel, compact and count tokens of stored responses.", "responses"),
    "runs": ("Runs", "Runs of an assistant on a thread, and their steps (beta).", "runs"),
    "skills": ("Skills", "Skills and their versions.", "skills"),
    "threads": ("Threads", "Assistants threads (beta).", "threads"),
    "uploads": ("Uploads", "Upload large files in parts.", "uploads"),
    "vector-store-file-batches": ("Vector store file batches", "Add many files to a vector store at once.", "vector-stores-file-batches"),
    "vector-store-files": ("Vector store files", "Files attached to a vector store.", "vector-stores-files"),
    "vector-stores": ("Vector stores", "Vector stores for file search, and searching them.", "vector-stores"),
    "videos": ("Videos", "Generate, edit, extend and remix videos; download their content.", "videos"),
}


OWNED_BY_OTHERS = frozenset({"webhooks"})  # helper families written by hand


def family_by_route(dop: DocOperation, known: Mapping[tuple[str, str], str]) -> str:
    """The family of a new operation no seed row places: the family of the known route
    sharing the longest prefix with it, else by ROUTE_FAMILIES, else its x-oaiMeta group."""
    mine = bare_route(dop.path).strip("/").split("/")
    best: tuple[int, int, str] | None = None
    for (method, path), family in known.items():
        theirs = bare_route(path).strip("/").split("/")
        common = 0
        for a, b in zip(mine, theirs):
            if a != b:
                break
            common += 1
        if common == 0:
            continue
        candidate = (common, -len(theirs), family)
        if best is None or candidate[:2] > best[:2]:
            best = candidate
    if best is not None:
        return best[2]
    route = bare_route(dop.path)
    for prefix, family in ROUTE_FAMILIES:
        if route.startswith(prefix):
            return family
    group = dop.meta.get("group") or (literal_segments(dop.path) or ["misc"])[0]
    return re.sub(r"[^a-z0-9]+", "-", str(group).lower()).strip("-")
