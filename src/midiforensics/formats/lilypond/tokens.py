"""The LilyPond tokenizer: one linear pass, comments and Scheme skipped, offsets kept.

Tokens are ``(kind, text, offset, match)``: ``note`` (a word with its octave marks, duration,
dots and multiplier: ``fis'4.``, ``r8``, ``c#``), ``cmd`` (``\\relative``), ``sep``
(``\\\\``, the voice separator), ``chord_end`` (``>`` with its duration), ``str``, ``num``
(``3/4``, ``120``) and the punctuation ``{ } << >> < ~ = |``.
"""

from __future__ import annotations

import re
from typing import NamedTuple


class Token(NamedTuple):
    kind: str
    text: str
    offset: int
    dur: str = ""  # "4", "\\breve"; "" when none is written
    dots: int = 0
    mul: str = ""  # "*3/4"


_DUR = r"(?P<dur>\\breve|\\longa|\d+)?(?P<dots>\.*)(?P<mul>(?:\*\d+(?:/\d+)?)*)"
_TOKEN = re.compile(
    r"(?P<ws>\s+)"
    r"|(?P<bcomment>%\{.*?(?:%\}|\Z))"
    r"|(?P<comment>%[^\n]*)"
    r'|(?P<str>"(?:[^"\\]|\\.)*"?)'
    r"|(?P<scheme>\#)"
    r"|(?P<sep>\\\\)"
    r"|(?P<post>\\[()<>!\[\]]|[-_^][.>^+!_\-|]|[-_^]\d|[()\[\]]|:\d*)"
    r"|(?P<cmd>\\[A-Za-z][A-Za-z\-]*)"
    r"|(?P<open><<|\{)"
    r"|(?P<close>>>|\})"
    r"|(?P<chord><(?!<))"
    r"|(?P<chord_end>>(?!>))" + _DUR.replace("?P<", "?P<c") + ""
    r"|(?P<note>[A-Za-z]+(?:-(?:sharp|flat)+)?(?:\#{1,2}|♯|♭)?[',]*[!?]?)" + _DUR + ""
    r"|(?P<num>\d+(?:/\d+)?\.*)"
    r"|(?P<punct>[~=|])"
    r"|(?P<other>.)",
    re.S,
)


def tokenize(text: str) -> list[Token]:
    out: list[Token] = []
    pos, n = 0, len(text)
    while pos < n:
        m = _TOKEN.match(text, pos)
        if m is None:  # pragma: no cover - the pattern matches any character
            break
        kind = m.lastgroup or "other"
        if kind in ("cdur", "cdots", "cmul", "dur", "dots", "mul"):
            kind = "chord_end" if m.group("chord_end") is not None else "note"
        end = m.end()
        if kind == "scheme":
            end = _scheme_end(text, pos + 1)
        elif kind == "note":
            out.append(
                Token(
                    "note",
                    m.group("note"),
                    pos,
                    m.group("dur") or "",
                    len(m.group("dots")),
                    m.group("mul"),
                )  # fmt: skip
            )
        elif kind == "chord_end":
            out.append(
                Token(
                    "chord_end",
                    ">",
                    pos,
                    m.group("cdur") or "",
                    len(m.group("cdots")),
                    m.group("cmul"),
                )  # fmt: skip
            )
        elif kind == "open" or kind == "close" or kind == "punct":
            out.append(Token(m.group(kind), m.group(kind), pos))
        elif kind in ("str", "cmd", "sep", "num", "chord"):
            out.append(Token(kind, m.group(kind), pos))
        pos = max(end, pos + 1)
    return out


def _scheme_end(text: str, i: int) -> int:
    """The end of a Scheme expression that starts at ``i`` (after ``#``): a balanced
    parenthesised form (strings respected), or one word (``#'sym``, ``##f``, ``#-3``)."""
    n = len(text)
    while i < n and text[i] in "'`#":
        i += 1
    if i < n and text[i] == "(":
        depth, in_str = 0, False
        while i < n:
            c = text[i]
            if in_str:
                if c == "\\":
                    i += 1
                elif c == '"':
                    in_str = False
            elif c == '"':
                in_str = True
            elif c == "(":
                depth += 1
            elif c == ")":
                depth -= 1
                if depth == 0:
                    return i + 1
            elif c == ";":  # a Scheme comment to the end of the line
                j = text.find("\n", i)
                i = n - 1 if j < 0 else j
            i += 1
        return n
    if i < n and text[i] == '"':
        m = re.compile(r'"(?:[^"\\]|\\.)*"?').match(text, i)
        return m.end() if m else i + 1
    while i < n and not text[i].isspace() and text[i] not in "{}<>":
        i += 1
    return i
