"""A tolerant, safe XML reader and writer for damaged score text.

Nothing here loads a DTD, resolves an external entity or expands a user-declared entity: the
reader is a plain scan with ``str.find`` (linear time), knows only the five XML entities,
numeric character references and HTML's named characters, and drops every other reference.
A DOCTYPE is kept only when it has no internal subset. What the reader had to change or guess
is noted in ``Parsed.notes`` as (offset, kind, before, after, reason) for the caller to log.
Elements left open at the end of the text are marked ``closed=False``.
"""

from __future__ import annotations

import html.entities
import re
from dataclasses import dataclass, field

MAX_DEPTH = 256
MAX_NODES = 1_000_000
MAX_NOTES_PER_KIND = 100  # notes (repairs) kept per kind; the rest are counted

_NAME_RE = re.compile(r"[^\s/>]+")
_ATTR_RE = re.compile(r"""([^\s=/"']+)\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+)""")
_ENTITY_RE = re.compile(r"&(#[0-9]{1,8}|#[xX][0-9a-fA-F]{1,8}|[A-Za-z][A-Za-z0-9._-]{0,40});")
_XML_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*(?::[A-Za-z_][A-Za-z0-9_.-]*)?")
_SUBSET_END_RE = re.compile(r"\]\s*>")
_PREDEFINED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}


@dataclass(eq=False)
class Comment:
    """A comment, or (``pi``) a processing instruction such as ``<?Finale ...?>``: kept as
    found, since editors write them into valid scores."""

    text: str
    pi: bool = False


@dataclass(eq=False)
class Node:
    """An element. ``children`` holds Nodes, text (str) and Comments in document order."""

    name: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[Node | str | Comment] = field(default_factory=list)
    pos: int = -1  # offset of its '<' in the parsed text; -1 for elements the repair made
    closed: bool = True  # an end tag (or '/>') was seen

    def elements(self) -> list[Node]:
        return [c for c in self.children if isinstance(c, Node)]

    def find(self, name: str) -> Node | None:
        for c in self.children:
            if isinstance(c, Node) and c.name == name:
                return c
        return None

    def findall(self, name: str) -> list[Node]:
        return [c for c in self.children if isinstance(c, Node) and c.name == name]

    def text(self) -> str:
        return "".join(c for c in self.children if isinstance(c, str))

    def set_text(self, value: str) -> None:
        self.children = [value]

    def iter(self) -> list[Node]:
        """This node and every element below it, in document order (no recursion)."""
        out: list[Node] = []
        todo: list[Node] = [self]
        while todo:
            n = todo.pop()
            out.append(n)
            todo.extend(reversed(n.elements()))
        return out


@dataclass
class Parsed:
    root: Node  # a synthetic "#document" node holding the top-level content
    decl: str = ""  # the <?xml ...?> declaration as written, if any
    doctype: str = ""  # kept DOCTYPE text (only when it has no internal subset)
    truncated: bool = False  # the text ended inside the document
    notes: list[tuple[int, str, str, str, str]] = field(default_factory=list)
    _counts: dict[str, int] = field(default_factory=dict)

    def note(self, offset: int, kind: str, before: str, after: str, reason: str) -> None:
        n = self._counts.get(kind, 0) + 1
        self._counts[kind] = n
        if n <= MAX_NOTES_PER_KIND:
            self.notes.append((offset, kind, before[:80], after[:80], reason))

    def overflow(self) -> dict[str, int]:
        """Kinds whose notes were cut at MAX_NOTES_PER_KIND, with their full count."""
        return {k: v for k, v in self._counts.items() if v > MAX_NOTES_PER_KIND}


def _short(s: str, n: int = 60) -> str:
    return s if len(s) <= n else s[: n - 3] + "..."


def decode_entities(s: str, pos: int, doc: Parsed) -> str:
    """Replace character references; drop user-declared ones (never expanded)."""
    if "&" not in s:
        return s

    def repl(m: re.Match[str]) -> str:
        body = m.group(1)
        if body[0] == "#":
            try:
                cp = int(body[2:], 16) if body[1] in "xX" else int(body[1:])
                if cp in (9, 10, 13) or 0x20 <= cp <= 0x10FFFF and not 0xD800 <= cp <= 0xDFFF:
                    return chr(cp)
            except ValueError:
                pass
            doc.note(
                pos + m.start(), "entity", m.group(0), "", "invalid character reference dropped"
            )
            return ""
        if body in _PREDEFINED:
            return _PREDEFINED[body]
        if body in html.entities.name2codepoint:
            ch = chr(html.entities.name2codepoint[body])
            doc.note(pos + m.start(), "entity", m.group(0), ch, "HTML entity is not XML")
            return ch
        doc.note(
            pos + m.start(),
            "entity",
            m.group(0),
            "",
            "entity reference dropped: declared entities are never expanded (XXE / bombs)",
        )
        return ""

    out = _ENTITY_RE.sub(repl, s)
    bare = s.count("&") - len(_ENTITY_RE.findall(s))
    if bare > 0:
        # a bare '&' is kept as a literal character
        doc.note(pos + s.find("&"), "ampersand", "&", "&amp;", "bare '&' read as a literal")
    return out


def parse(s: str) -> Parsed:
    """Read XML-ish text into a tree, never failing and never fetching anything."""
    root = Node("#document", pos=0)
    doc = Parsed(root)
    stack: list[Node] = [root]
    nodes = 0
    i, n = 0, len(s)
    while i < n:
        j = s.find("<", i)
        if j < 0:
            _add_text(stack[-1], s[i:], i, doc)
            break
        if j > i:
            _add_text(stack[-1], s[i:j], i, doc)
        if s.startswith(("<!", "<?"), j):
            i = _markup(s, j, stack, doc)
            if i < 0:
                break
            continue
        k = s.find(">", j + 1)
        lt = s.find("<", j + 1, k if k >= 0 else n)
        if k < 0 or lt >= 0:
            i = _half_tag(s, j, lt, stack, doc)
            continue
        i = k + 1
        if s.startswith("</", j):
            _close(stack, s[j + 2 : k].strip(), j, doc)
            continue
        added = _start_tag(s, j, k, stack, doc, nodes)
        if added < 0:
            break
        nodes += added
    if len(stack) > 1:
        doc.truncated = True
    return doc


def _markup(s: str, j: int, stack: list[Node], doc: Parsed) -> int:
    """Read the comment, CDATA section, processing instruction or declaration at ``s[j]``;
    return where to go on, or -1 when the text ends inside it."""
    if s.startswith("<!--", j):
        k = s.find("-->", j + 4)
        if k < 0:
            doc.note(j, "truncated", _short(s[j:]), "", "unterminated comment dropped")
            doc.truncated = True
            return -1
        stack[-1].children.append(Comment(s[j + 4 : k]))
        return k + 3
    if s.startswith("<![CDATA[", j):
        k = s.find("]]>", j + 9)
        end = len(s) if k < 0 else k
        stack[-1].children.append(s[j + 9 : end])
        if k < 0:
            doc.truncated = True
            return -1
        return k + 3
    if s.startswith("<?", j):
        return _pi(s, j, stack, doc)
    return _doctype(s, j, doc)


def _pi(s: str, j: int, stack: list[Node], doc: Parsed) -> int:
    """Read the processing instruction at ``s[j]``; return where to go on, or -1."""
    k = s.find("?>", j + 2)
    if k < 0:
        doc.note(j, "truncated", _short(s[j:]), "", "unterminated processing instruction")
        return -1
    pi = s[j : k + 2]
    if pi[2:5].lower() == "xml" and len(stack) == 1 and not doc.decl:
        doc.decl = pi
    elif (pi[2:-2].split() or [""])[0].lower() != "xml":  # <?Finale ...?>, <?xml-stylesheet
        stack[-1].children.append(Comment(pi[2:-2], pi=True))
    else:
        doc.note(j, "pi", _short(pi), "", "processing instruction dropped")
    return k + 2


def _half_tag(s: str, j: int, lt: int, stack: list[Node], doc: Parsed) -> int:
    """A tag at ``s[j]`` cut by the next ``<`` (at ``lt``) or by the end of the text; return
    where to go on."""
    stop = lt if lt >= 0 else len(s)
    frag = s[j:stop]
    if frag.startswith("</") and len(stack) > 1 and stack[-1].name.startswith(frag[2:].strip()):
        el = stack.pop()  # "</pitc" cut at the end still closes <pitch>
        el.closed = True
        doc.note(j, "truncated", _short(frag), f"</{el.name}>", "cut end tag read")
    else:
        doc.note(j, "truncated", _short(frag), "", "half-written tag dropped")
    if lt < 0:
        doc.truncated = True
    return stop


def _start_tag(s: str, j: int, k: int, stack: list[Node], doc: Parsed, nodes: int) -> int:
    """Read the start tag ``s[j : k + 1]``; return how many elements it added (0 or 1), or -1
    when the size limit stops the reading."""
    body = s[j + 1 : k]
    selfclose = body.endswith("/")
    if selfclose:
        body = body[:-1]
    m = _NAME_RE.match(body)
    if not m:
        doc.note(j, "tag", _short(s[j : k + 1]), "", "tag without a name dropped")
        return 0
    if len(stack) > MAX_DEPTH or nodes >= MAX_NODES:
        doc.note(j, "limit", _short(s[j : k + 1]), "", "element beyond the depth/size limit")
        doc.truncated = True
        return -1 if nodes >= MAX_NODES else 0
    attrs: dict[str, str] = {}
    for am in _ATTR_RE.finditer(body, m.end()):
        v = am.group(2)
        if v[:1] in "\"'":
            v = v[1:-1]
        attrs[am.group(1)] = decode_entities(v, j + 1 + am.start(2), doc)
    node = Node(m.group(0), attrs, pos=j)
    stack[-1].children.append(node)
    if not selfclose:
        stack.append(node)
        node.closed = False
    return 1


def _add_text(parent: Node, text: str, pos: int, doc: Parsed) -> None:
    parent.children.append(decode_entities(text, pos, doc))


def _doctype(s: str, j: int, doc: Parsed) -> int:
    """Skip a DOCTYPE (or other <!...> declaration); return where to go on."""
    k = s.find(">", j)
    br = s.find("[", j, k if k >= 0 else len(s))
    if br >= 0:
        m = _SUBSET_END_RE.search(s, br)
        end = m.end() if m else len(s)
        doc.note(
            j,
            "doctype",
            _short(s[j:end]),
            "",
            "DOCTYPE with an internal subset removed: its entities are never loaded or expanded",
        )
        return end
    if k < 0:
        doc.note(j, "truncated", _short(s[j:]), "", "unterminated declaration dropped")
        return len(s)
    decl = s[j : k + 1]
    if decl[2:9].upper() == "DOCTYPE" and not doc.doctype:
        doc.doctype = decl  # kept as text; the DTD it names is never fetched
    else:
        doc.note(j, "doctype", _short(decl), "", "declaration dropped")
    return k + 1


def _similar(a: str, b: str) -> bool:
    return edit_distance(a.lower(), b.lower(), 2) <= 2


def _close(stack: list[Node], name: str, pos: int, doc: Parsed) -> None:
    for depth in range(len(stack) - 1, 0, -1):
        if stack[depth].name == name:
            while len(stack) - 1 > depth:
                el = stack.pop()
                el.closed = True
                doc.note(el.pos, "unclosed", f"<{el.name}>", f"</{el.name}>", "element closed")
            stack.pop().closed = True
            return
    if len(stack) > 1 and (_similar(stack[-1].name, name) or not _XML_NAME_RE.fullmatch(name)):
        el = stack.pop()
        el.closed = True
        doc.note(pos, "endtag", f"</{name}>", f"</{el.name}>", "end tag misspelt")
        return
    doc.note(pos, "endtag", f"</{name}>", "", "stray end tag dropped")


def edit_distance(a: str, b: str, cap: int = 3) -> int:
    """Levenshtein distance with adjacent transposition, stopping early above ``cap``."""
    if abs(len(a) - len(b)) > cap:
        return cap + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            v = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                v = min(v, prev2[j - 2] + 1)
            cur.append(v)
        if min(cur) > cap:
            return cap + 1
        prev2, prev = prev, cur
    return prev[-1]


def is_xml_name(name: str) -> bool:
    return bool(_XML_NAME_RE.fullmatch(name))


def _esc_text(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _esc_attr(s: str) -> str:
    return _esc_text(s).replace('"', "&quot;")


def serialize(node: Node) -> str:
    """Write an element (or a #document) as well-formed XML text (no recursion)."""
    out: list[str] = []
    todo: list[Node | str | Comment | tuple[str]] = [node]
    while todo:
        item = todo.pop()
        if isinstance(item, tuple):
            out.append(item[0])
        elif isinstance(item, str):
            out.append(_esc_text(item))
        elif isinstance(item, Comment) and item.pi:
            out.append("<?" + item.text.replace("?>", "? >") + "?>")
        elif isinstance(item, Comment):
            out.append("<!--" + item.text.replace("--", "- -") + "-->")
        elif item.name == "#document":
            todo.extend(reversed(item.children))
        else:
            attrs = "".join(
                f' {k}="{_esc_attr(v)}"' for k, v in item.attrs.items() if is_xml_name(k)
            )
            if not item.children:
                out.append(f"<{item.name}{attrs}/>")
                continue
            out.append(f"<{item.name}{attrs}>")
            todo.append((f"</{item.name}>",))
            todo.extend(reversed(item.children))
    return "".join(out)
