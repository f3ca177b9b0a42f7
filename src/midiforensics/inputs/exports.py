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
messages lazily for callers that want to handle them one by one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

MAX_TITLE = 60
MAX_JSON_DEPTH_WALK = 100_000  # nodes of one conversation tree we follow at most
_HEAD = 4096


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
    if first == "[":
        conv = _json_list(data, start)
        if conv is not None:
            return conv
    if first == "{":
        obj = _json_whole(data)
        if obj is not None:
            convs = list(_conversations(obj, 0))
            if convs:
                return _emit_convs(iter([(None, c) for c in convs]))
        jl = _jsonl(data)
        if jl is not None:
            return jl
    if first == "<" or re.search(r"<(?:!doctype|html|body|div)\b", head, re.I):
        msgs = _html(data)
        if msgs:
            return iter(msgs)
        return None
    md = _markdown(data)
    if md:
        return iter(md)
    return None


# --- JSON --------------------------------------------------------------------------------

_ROLE_KEYS = ("role", "author", "sender", "from", "speaker")
_CONTAINER_KEYS = ("messages", "chat_messages", "conversation", "turns", "dialog", "dialogue")
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


def _json_whole(data: str) -> Any:
    try:
        return json.loads(data)
    except (ValueError, RecursionError):
        return None


def _iter_array(data: str, start: int) -> Iterator[Any]:
    """The elements of the JSON array at ``data[start] == '['``, decoded one at a time.

    Stops quietly at the first element that does not decode (a cut-off export keeps the
    conversations before the cut).
    """
    dec = json.JSONDecoder()
    ws = re.compile(r"[ \t\r\n]*")
    i = ws.match(data, start + 1).end()  # type: ignore[union-attr]
    if i < len(data) and data[i] == "]":
        return
    while i < len(data):
        try:
            obj, i = dec.raw_decode(data, i)
        except (ValueError, RecursionError):
            return
        yield obj
        i = ws.match(data, i).end()  # type: ignore[union-attr]
        if i >= len(data) or data[i] != ",":
            return
        i = ws.match(data, i + 1).end()  # type: ignore[union-attr]


def _json_list(data: str, start: int) -> Iterator[Message] | None:
    elements = _iter_array(data, start)
    try:
        first = next(elements)
    except StopIteration:
        return None
    except Exception:  # noqa: BLE001
        return None
    if _message_of(first) is not None and not _is_conversation(first):
        # a bare list of messages: one conversation
        rest = list(elements)
        return _emit_convs(iter([(None, [first, *rest])]))
    if not _is_conversation(first):
        return None

    def convs() -> Iterator[tuple[int | None, Any]]:
        yield None, first
        for el in elements:
            yield None, el

    return _emit_convs(convs())


def _lines(data: str) -> Iterator[tuple[int, str]]:
    """(line number, line) without splitting the whole text at once."""
    n, i = 0, 0
    while i < len(data):
        j = data.find("\n", i)
        if j == -1:
            j = len(data)
        n += 1
        yield n, data[i:j]
        i = j + 1


def _parsed_lines(data: str) -> Iterator[tuple[int, Any]]:
    """(line number, decoded object or _BAD) for every non-blank line."""
    for n, line in _lines(data):
        s = line.strip()
        if not s:
            continue
        try:
            yield n, json.loads(s)
        except (ValueError, RecursionError):
            yield n, _BAD


_BAD = object()
_JSONL_PROBE = 50  # lines looked at to decide whether a text is JSON Lines


def _jsonl(data: str) -> Iterator[Message] | None:
    """One JSON object per line: messages (one conversation) or conversations. Decided on the
    first lines; then read lazily, a malformed line skipped."""
    probe = []
    for item in _parsed_lines(data):
        probe.append(item)
        if len(probe) >= _JSONL_PROBE:
            break
    good = [o for _, o in probe if o is not _BAD]
    if not good or len(good) * 2 < len(probe):
        return None
    if not any(_is_conversation(o) or _message_of(o) is not None for o in good):
        return None

    def gen() -> Iterator[Message]:
        conv_no = 0
        msg_no = 0
        for n, obj in _parsed_lines(data):
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

    return gen()


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
    label = label or f"c{n}"
    k = 0
    for role, text in _raw_messages(conv):
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
        t = msg.get("create_time") if isinstance(msg, dict) else None
        return float(t) if isinstance(t, int | float) else 0.0

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


def _role(obj: dict[str, Any]) -> str | None:
    for key in _ROLE_KEYS:
        val = obj.get(key)
        if isinstance(val, dict):
            val = val.get("role") or val.get("name")
        if isinstance(val, str) and val.strip():
            return _norm_role(val)
    return None


def _norm_role(val: str) -> str:
    v = " ".join(val.split()).lower()
    if v in _USER:
        return "user"
    if v in _ASSISTANT or v.startswith(("gpt", "claude", "gemini")):
        return "assistant"
    v = re.sub(r"[^a-z0-9_ -]+", "", v)[:20]
    return v or "unknown"


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


# --- Markdown ----------------------------------------------------------------------------

_ROLE_WORDS = r"user|you|human|me|assistant|chatgpt|gpt(?:-[0-9a-z.]+)?|claude|ai|bot|model|gemini|bard|copilot|system"
# One turn marker per line: a heading (``### Assistant``), bold (``**User:**``, ``**User**:``)
# or plain (``User:``); ChatGPT's copy format says ``You said:`` / ``ChatGPT said:``.
_SAID = r"(?:[ \t]+said)?"
_MD_TURN = re.compile(
    r"^[ \t]{0,3}(?:"
    rf"#{{1,6}}[ \t]+(?:\*\*)?(?P<h>{_ROLE_WORDS}){_SAID}[ \t]*:?(?:\*\*)?[ \t]*$"
    rf"|(?:\*\*|__)(?P<b>{_ROLE_WORDS}){_SAID}[ \t]*(?::[ \t]*(?:\*\*|__)|(?:\*\*|__)[ \t]*:)"
    rf"|(?P<p>{_ROLE_WORDS}){_SAID}:(?=[ \t]|$)"
    r")",
    re.I | re.M,
)
_FENCE = re.compile(r"^[ \t]{0,3}(```|~~~)", re.M)


_MD_HEAD = 65536  # a chat transcript shows its first turn early; plain text skips the walk


def _markdown(data: str) -> list[Message] | None:
    if _MD_TURN.search(data, 0, _MD_HEAD) is None:
        return None
    marks: list[tuple[int, int, str]] = []  # (start of marker line, end of marker, role)
    fences = [m.start() for m in _FENCE.finditer(data)]
    fi = 0
    inside = False
    for m in _MD_TURN.finditer(data):
        while fi < len(fences) and fences[fi] < m.start():
            inside = not inside
            fi += 1
        if inside:
            continue
        role = m.group("h") or m.group("b") or m.group("p")
        marks.append((m.start(), m.end(), _norm_role(role)))
    roles = {r for _, _, r in marks}
    if len(marks) < 2 or "user" not in roles or "assistant" not in roles:
        return None
    pre = data[: marks[0][0]]
    tm = re.search(r"^[ \t]{0,3}#[ \t]+(.+)$", pre, re.M)
    title = " ".join(tm.group(1).split())[:MAX_TITLE] if tm else ""
    head = f'conversation "{title}"' if title else "conversation 1"
    out: list[Message] = []
    rest = pre.replace(tm.group(0), "", 1) if tm else pre
    if rest.strip():
        out.append(Message(pre, f"{head} › preamble", "c1-m0", 1, "preamble"))
    line = 1 + data.count("\n", 0, marks[0][0])
    for k, (s, e, role) in enumerate(marks):
        end = marks[k + 1][0] if k + 1 < len(marks) else len(data)
        if k:
            line += data.count("\n", marks[k - 1][0], s)
        text = data[e:end]
        nl = text.find("\n")
        first = line
        if nl != -1 and not text[:nl].strip():
            text = text[nl + 1 :]  # the marker stood alone on its line: text starts below it
            first += 1
        else:
            text = text.lstrip(" \t")
        out.append(Message(text, f"{head} › message {k + 1} ({role})", f"c1-m{k + 1}", first, role))
    return out


# --- HTML --------------------------------------------------------------------------------

_ROLE_ATTRS = (
    "data-message-author-role",
    "data-author-role",
    "data-role",
    "data-author",
    "data-sender",
    "data-speaker",
)
_VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}
_BLOCK = {
    "p",
    "div",
    "br",
    "li",
    "ul",
    "ol",
    "tr",
    "table",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "pre",
    "blockquote",
    "section",
    "article",
    "hr",
}
_CLASS_ROLES = {
    "user-message": "user",
    "font-user-message": "user",
    "assistant-message": "assistant",
    "font-claude-message": "assistant",
    "bot-message": "assistant",
}


def _html_role(attrs: list[tuple[str, str | None]]) -> str | None:
    d = {k.lower(): (v or "") for k, v in attrs}
    for a in _ROLE_ATTRS:
        if d.get(a, "").strip():
            return _norm_role(d[a])
    testid = d.get("data-testid", "").lower()
    for key, role in (("user-message", "user"), ("assistant-message", "assistant")):
        if key in testid:
            return role
    for cls in d.get("class", "").lower().split():
        if cls in _CLASS_ROLES:
            return _CLASS_ROLES[cls]
    return None


MAX_HTML_DEPTH = 512
_SELF_CLOSING_ON_REPEAT = {"p", "li", "option", "tr", "td", "th"}


class _ChatHTML(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.open: dict[str, int] = {}  # how many of each tag are on the stack
        self.msg_depth: int | None = None  # stack depth of the open message element
        self.role = ""
        self.buf: list[str] = []
        self.pre = 0
        self.skip = 0
        self.title_buf: list[str] | None = None
        self.title = ""
        self.messages: list[tuple[str, str, int]] = []  # (role, text, line)
        self.line = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        tag = tag.lower()
        if tag in ("script", "style"):
            self.skip += 1
        if tag == "title" and not self.title:
            self.title_buf = []
        if tag in _SELF_CLOSING_ON_REPEAT and self.stack and self.stack[-1] == tag:
            self.handle_endtag(tag)  # <p>a<p>b: the second <p> closes the first
        if self.msg_depth is None:
            role = _html_role(attrs)
            if role is not None and tag not in _VOID and len(self.stack) < MAX_HTML_DEPTH:
                self._push(tag)
                self.msg_depth = len(self.stack)
                self.role = role
                self.buf = []
                self.line = self.getpos()[0]
                return
        elif tag in _BLOCK:
            self._newline()
        if tag in ("pre",):
            self.pre += 1
        if tag not in _VOID and len(self.stack) < MAX_HTML_DEPTH:
            self._push(tag)  # deeper elements are read for their text only

    def _push(self, tag: str) -> None:
        self.stack.append(tag)
        self.open[tag] = self.open.get(tag, 0) + 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.msg_depth is not None and tag.lower() in _BLOCK:
            self._newline()

    def handle_endtag(self, tag: str) -> None:
        tag = tag.lower()
        if tag in _VOID or not self.open.get(tag):
            return  # a stray end tag
        while self.stack:
            top = self.stack.pop()
            self.open[top] -= 1
            if top in ("script", "style"):
                self.skip = max(0, self.skip - 1)
            if top == "pre":
                self.pre = max(0, self.pre - 1)
            if top == "title" and self.title_buf is not None:
                self.title = " ".join("".join(self.title_buf).split())[:MAX_TITLE]
                self.title_buf = None
            if self.msg_depth is not None and len(self.stack) < self.msg_depth:
                self._close()
            elif self.msg_depth is not None and top in _BLOCK:
                self._newline()
            if top == tag:
                break

    def handle_data(self, data: str) -> None:
        if self.title_buf is not None:
            self.title_buf.append(data)
        if self.msg_depth is None or self.skip:
            return
        if self.pre:
            self.buf.append(data)
            return
        text = re.sub(r"[ \t\r\f\v]*\n\s*", "\n", data)
        text = re.sub(r"[ \t\r\f\v]+", " ", text)
        if self.buf and self.buf[-1].endswith("\n"):
            text = text.lstrip(" ")
        self.buf.append(text)

    def _newline(self) -> None:
        if self.buf and not self.buf[-1].endswith("\n"):
            self.buf.append("\n")

    def _close(self) -> None:
        text = "".join(self.buf).strip("\n ")
        self.messages.append((self.role, text, self.line))
        self.msg_depth = None
        self.buf = []

    def finish(self) -> None:
        self.close()
        if self.msg_depth is not None:
            self._close()


def _html(data: str) -> list[Message] | None:
    p = _ChatHTML()
    step = 1 << 16
    for i in range(0, len(data), step):
        p.feed(data[i : i + step])
    p.finish()
    head = f'conversation "{p.title}"' if p.title else "conversation 1"
    out: list[Message] = []
    k = 0
    for role, text, line in p.messages:
        if not text.strip():
            continue
        k += 1
        out.append(Message(text, f"{head} › message {k} ({role})", f"c1-m{k}", line, role))
    return out or None


__all__ = ["Message", "iter_export", "split_export"]
