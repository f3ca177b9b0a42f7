"""One message of a chat export, and the names its speakers go by (shared by the readers of
JSON, Markdown and HTML chats in :mod:`.chat_json` and :mod:`.chat_text`)."""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_TITLE = 60


@dataclass(frozen=True)
class Message:
    """One message of a chat export."""

    text: str  # the message's text content, unescaped (what a person would read)
    origin: str  # human provenance: 'conversation "Waltz help" › message 3 (assistant)'
    label: str  # short file-name-safe id: "c2-m3"
    # line of the export where ``text`` starts, so that line N of the text is line
    # ``line + N - 1`` of the export (Markdown, JSON Lines); for HTML the line of the message's
    # element; 0 when not known (JSON)
    line: int = 0
    role: str = ""


_USER = {"user", "human", "you", "me", "prompt", "customer", "question"}
_ASSISTANT = {
    "assistant",
    "ai",
    "bot",
    "model",
    "chatgpt",
    "gpt",
    "claude",
    "gemini",
    "bard",
    "copilot",
    "answer",
    "gpt-4",
    "gpt-4o",
}


def norm_role(val: str) -> str:
    v = " ".join(val.split()).lower()
    if v in _USER:
        return "user"
    if v in _ASSISTANT or v.startswith(("gpt", "claude", "gemini")):
        return "assistant"
    v = re.sub(r"[^a-z0-9_ -]+", "", v)[:20]
    return v or "unknown"
