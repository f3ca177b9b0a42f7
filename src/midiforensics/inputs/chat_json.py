"""Chat exports in JSON: ChatGPT's ``conversations.json`` (a tree of nodes per conversation),
other JSON chat shapes (``messages``, ``chat_messages``, bare lists of messages) and JSON Lines.
See :mod:`.exports` for the shapes recognised."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from itertools import chain, islice
from typing import Any

from .chars import Chars, array_values, lines
from .chat_message import MAX_TITLE, Message, norm_role

MAX_JSON_DEPTH_WALK = 100_000  # nodes of one conversation tree we follow at most

_ROLE_KEYS = ("role", "author", "sender", "from", "speaker")
_CONTAINER_KEYS = ("messages", "chat_messages", "conversation", "turns", "dialog", "dialogue")


def json_object(data: str) -> Iterator[Message] | None:
    """The messages of a text that starts with ``{``: one JSON document holding conversations,
    else JSON Lines; ``None`` when it is neither."""
    obj = _json_whole(data)
    if obj is not None:
        convs = list(_conversations(obj, 0))
        if convs:
            return _emit_convs(iter([(None, c) for c in convs]))
    return json_lines(Chars(data))


def _json_whole(data: str) -> Any:
    try:
        return json.loads(data)
    except (ValueError, RecursionError):
        return None


def json_list(chars: Chars, start: int) -> Iterator[Message] | None:
    """The messages of the JSON array at ``chars.buf[start]``: a list of conversations, or of
    the messages of one; ``None`` when its first value is neither. Read a value at a time."""
    values = array_values(chars, start)
    try:
        first = next(values)
    except StopIteration:
        return None
    except Exception:  # noqa: BLE001
        return None
    if _message_of(first) is not None and not _is_conversation(first):
        return _bare_messages(chain([first], values))
    if not _is_conversation(first):
        return None
    return _emit_convs((None, v) for v in chain([first], values))


def _bare_messages(values: Iterator[Any]) -> Iterator[Message]:
    """A bare list of messages: one conversation, when its first five values are messages."""
    head = list(islice(values, 5))
    if all(_message_of(v) is not None for v in head):
        items = (m for m in map(_message_of, chain(head, values)) if m is not None)
        yield from _numbered(items, "conversation 1", "c1")


def _parsed_lines(chars: Chars) -> Iterator[tuple[int, Any]]:
    """(line number, decoded object or _BAD) for every non-blank line."""
    for n, line in lines(chars):
        s = line.strip()
        if not s:
            continue
        try:
            yield n, json.loads(s)
        except (ValueError, RecursionError):
            yield n, _BAD


_BAD = object()
_JSONL_PROBE = 50  # lines looked at to decide whether a text is JSON Lines


def json_lines(chars: Chars) -> Iterator[Message] | None:
    """One JSON object per line: messages (one conversation) or conversations. Decided on the
    first lines; then read from the start again, lazily, a malformed line skipped."""
    probe = list(islice(_parsed_lines(chars), _JSONL_PROBE))
    good = [o for _, o in probe if o is not _BAD]
    if not good or len(good) * 2 < len(probe):
        return None
    if not any(_is_conversation(o) or _message_of(o) is not None for o in good):
        return None
    return _jsonl_messages(_parsed_lines(chars.again()))


def _jsonl_messages(parsed: Iterator[tuple[int, Any]]) -> Iterator[Message]:
    conv_no = 0
    msg_no = 0
    for n, obj in parsed:
        if obj is _BAD:
            continue
        if _is_conversation(obj):
            conv_no += 1
            yield from _conv_messages(obj, conv_no, where=f"line {n}", label=f"l{n}")
            continue
        m = _message_of(obj)
        if m is None:
            continue
        role, text = m
        if not text.strip():
            continue
        msg_no += 1
        yield Message(
            text=text,
            origin=f"line {n} › message {msg_no} ({role})",
            label=f"l{n}",
            line=n,
            role=role,
        )


def _is_conversation(obj: Any) -> bool:
    if isinstance(obj, list):
        return bool(obj) and all(_message_of(x) is not None for x in obj[:5])
    if not isinstance(obj, dict):
        return False
    if isinstance(obj.get("mapping"), dict):
        return True
    return any(isinstance(obj.get(k), list) for k in _CONTAINER_KEYS)


def _conversations(obj: Any, depth: int) -> Iterator[Any]:
    """Conversations inside a decoded JSON document (a dict holding a list of them, etc.)."""
    if depth > 3:
        return
    if _is_conversation(obj):
        yield obj
        return
    if isinstance(obj, dict):
        for key in ("conversations", "chats", "data", "items", "history"):
            val = obj.get(key)
            if isinstance(val, list):
                for el in val:
                    if _is_conversation(el):
                        yield el
                return


def _title(conv: Any) -> str:
    if not isinstance(conv, dict):
        return ""
    for key in ("title", "name", "subject"):
        val = conv.get(key)
        if isinstance(val, str) and val.strip():
            t = " ".join(val.split())
            return t if len(t) <= MAX_TITLE else t[: MAX_TITLE - 1] + "…"
    return ""


def _emit_convs(convs: Iterator[tuple[int | None, Any]]) -> Iterator[Message]:
    n = 0
    for _, conv in convs:
        if not _is_conversation(conv):
            continue
        n += 1
        yield from _conv_messages(conv, n)


def _conv_messages(conv: Any, n: int, where: str = "", label: str = "") -> Iterator[Message]:
    title = _title(conv)
    if title:
        head = f'conversation "{title}"'
        if where:
            head += f" ({where})"
    else:
        head = where if where else f"conversation {n}"
    return _numbered(_raw_messages(conv), head, label or f"c{n}")


def _numbered(items: Iterator[tuple[str, str]], head: str, label: str) -> Iterator[Message]:
    """The messages of one conversation (``head`` names it), numbered; empty ones left out."""
    k = 0
    for role, text in items:
        if not text.strip():
            continue
        k += 1
        yield Message(
            text=text, origin=f"{head} › message {k} ({role})", label=f"{label}-m{k}", role=role
        )


def _raw_messages(conv: Any) -> Iterator[tuple[str, str]]:
    if isinstance(conv, list):
        items: Any = conv
    elif isinstance(conv.get("mapping"), dict):
        yield from _mapping_messages(conv["mapping"])
        return
    else:
        items = next((conv[k] for k in _CONTAINER_KEYS if isinstance(conv.get(k), list)), [])
    for item in items:
        m = _message_of(item)
        if m is not None:
            yield m


def _mapping_messages(mapping: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """ChatGPT's tree of nodes, walked from the root(s); siblings ordered by create_time."""
    nodes = {k: v for k, v in mapping.items() if isinstance(v, dict)}

    def ctime(node_id: Any) -> float:
        node = nodes.get(node_id) if isinstance(node_id, str) else None
        msg = node.get("message") if node else None
        return _seconds(msg.get("create_time") if isinstance(msg, dict) else None)

    roots = [
        k
        for k, v in nodes.items()
        if not isinstance(v.get("parent"), str) or v["parent"] not in nodes
    ]
    roots.sort(key=ctime)
    seen: set[str] = set()
    stack = list(reversed(roots))
    steps = 0
    while stack and steps < MAX_JSON_DEPTH_WALK:
        steps += 1
        nid = stack.pop()
        if nid in seen:
            continue
        seen.add(nid)
        node = nodes[nid]
        msg = node.get("message")
        if isinstance(msg, dict):
            m = _message_of(msg)
            if m is not None:
                yield m
        children = node.get("children")
        if isinstance(children, list):
            kids = [c for c in children if isinstance(c, str) and c in nodes and c not in seen]
            kids.sort(key=ctime)
            stack.extend(reversed(kids))
    # nodes not reachable from a root (a broken tree): still searched, by time
    rest = sorted((k for k in nodes if k not in seen), key=ctime)
    for nid in rest[:MAX_JSON_DEPTH_WALK]:
        msg = nodes[nid].get("message")
        if isinstance(msg, dict):
            m = _message_of(msg)
            if m is not None:
                yield m


def _seconds(t: Any) -> float:
    """A ``create_time`` to sort by: 0.0 when it is not a number; an integer too large for a
    float sorts last (first when negative) instead of ending the reading of the export."""
    if not isinstance(t, int | float):
        return 0.0
    try:
        return float(t)
    except OverflowError:
        return math.inf if t > 0 else -math.inf


def _role(obj: dict[str, Any]) -> str | None:
    for key in _ROLE_KEYS:
        val = obj.get(key)
        if isinstance(val, dict):
            val = val.get("role") or val.get("name")
        if isinstance(val, str) and val.strip():
            return norm_role(val)
    return None


def _message_of(obj: Any) -> tuple[str, str] | None:
    """(role, text) when ``obj`` looks like one chat message."""
    if not isinstance(obj, dict):
        return None
    role = _role(obj)
    if role is None:
        return None
    for key in ("content", "text", "parts", "message", "value", "body"):
        if key in obj:
            text = _text_of(obj[key], 0)
            if text is not None:
                if key != "text" and not text and isinstance(obj.get("text"), str):
                    return role, obj["text"]
                return role, text
    return None


def _text_of(val: Any, depth: int) -> str | None:
    """The readable text of a message's content, in whichever shape it comes."""
    if depth > 6:
        return None
    if isinstance(val, str):
        return val
    if isinstance(val, list):
        out = [t for t in (_text_of(x, depth + 1) for x in val) if t]
        return "\n".join(out)
    if isinstance(val, dict):
        for key in ("parts", "text", "content", "result", "value"):
            if key in val:
                t = _text_of(val[key], depth + 1)
                if t is not None:
                    return t
        return ""
    return None
