"""Chat exports as text: Markdown transcripts with marked turns, and HTML pages saved from a chat
interface. See :mod:`.exports` for the shapes recognised."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from .chat_message import MAX_TITLE, Message, norm_role

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


def markdown_messages(data: str) -> list[Message] | None:
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
        marks.append((m.start(), m.end(), norm_role(role)))
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
            return norm_role(d[a])
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


def html_messages(data: str) -> list[Message] | None:
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
