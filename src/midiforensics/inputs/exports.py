"""Split a chat export into its messages, so every find can say where it came from.

Recognised shapes:

- a ChatGPT ``conversations.json`` export: a list of conversations, each with a ``title`` and a
  ``mapping`` of nodes (``message.author.role``, ``message.content.parts``) linked by
  ``parent``/``children``; messages are taken in tree order from the root, siblings by
  ``create_time`` (so regenerated answers on other branches are searched too);
- other JSON chat shapes: ``{"messages": [{"role", "content"}]}``, a list of those, a bare list
  of messages, ``chat_messages`` with ``sender`` (Claude exports); content as a string, as a
  list of parts (``{"type": "text", "text": ...}``) or as ``{"parts": [...]}``;
- JSON Lines: one message or one conversation per line (a malformed line is skipped);
- Markdown transcripts with turns marked ``**User:**``, ``### Assistant`` or ``User:``;
- HTML pages saved from a chat interface, messages in elements with a role marker
  (``data-message-author-role`` and the like); tags are stripped with the standard library's
  parser, ``<pre>``/``<code>`` text is kept as it is, entities are unescaped.

Anything else returns ``None``: a plain transcript stays a plain transcript. Nothing here
raises on bad input; a malformed export is just text.

A top-level JSON list is read one element at a time (``raw_decode``), so a large
``conversations.json`` is never held as one huge object tree; :func:`iter_export` yields the
messages lazily for callers that want to handle them one by one, and :func:`stream_export`
reads a JSON export from a file a piece at a time (the same readers: the same messages).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from .chat_message import Message
from .chat_text import html_messages, markdown_messages

if TYPE_CHECKING:
    from .chars import Chars

_HEAD = 4096


def split_export(data: str) -> list[Message] | None:
    """The messages of a chat export, in order; ``None`` when ``data`` is not a chat export."""
    it = iter_export(data)
    if it is None:
        return None
    try:
        msgs = list(it)
    except Exception:  # noqa: BLE001 - a malformed export is just text
        return None
    return msgs or None


def iter_export(data: str) -> Iterator[Message] | None:
    """Like :func:`split_export`, but yields the messages lazily (bounded memory)."""
    try:
        return _detect(data)
    except Exception:  # noqa: BLE001 - never raise on input
        return None


# --- detection ---------------------------------------------------------------------------


def _detect(data: str) -> Iterator[Message] | None:
    if not isinstance(data, str) or not data.strip():
        return None
    start = len(data) - len(data.lstrip())
    first = data[start]
    head = data[start : start + _HEAD]
    if first in ("[", "{"):  # the JSON readers are imported only for a text that can be JSON
        from .chars import Chars
        from .chat_json import json_list, json_object

        found = json_list(Chars(data), start) if first == "[" else json_object(data)
        if found is not None:
            return found
    if first == "<" or re.search(r"<(?:!doctype|html|body|div)\b", head, re.I):
        msgs = html_messages(data)
        if msgs:
            return iter(msgs)
        return None
    md = markdown_messages(data)
    if md:
        return iter(md)
    return None


def stream_export(chars: Chars) -> Iterator[Message] | None:
    """The messages of a JSON chat export read a piece at a time from ``chars`` (a file): an
    array of conversations or of messages, or JSON Lines; the messages :func:`iter_export`
    gives for the whole text. ``None`` when the text is not such an export as far as its
    first values or lines tell, or may be one JSON document: read it whole then."""
    from .chars import first_line_alone
    from .chat_json import json_lines, json_list

    try:
        start = chars.skip(_SPACE, 0)
        first = chars.buf[start : start + 1]
        if first == "[":
            return json_list(chars, start)
        if first == "{" and first_line_alone(chars, start):
            return json_lines(chars)
    except Exception:  # noqa: BLE001 - never raise on input
        return None
    return None


_SPACE = re.compile(r"\s*")  # what str.lstrip() strips


__all__ = ["Message", "iter_export", "split_export", "stream_export"]
