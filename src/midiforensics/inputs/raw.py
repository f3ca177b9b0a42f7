"""An input's bytes as text to search, or as a binary payload."""

from __future__ import annotations

import html
import re

from ..classify import BINARY_MAGIC

NOT_UTF8 = "input is not valid UTF-8: undecodable bytes were replaced for the search"
_HTML_PAGE = re.compile(r"<(?:!doctype html|html|body|pre|div|p)\b", re.IGNORECASE)


def read_input(data: str | bytes) -> tuple[str | None, bytes | None, list[str]]:
    """(text, None, notes) for text input; (None, bytes, notes) for binary input."""
    notes: list[str] = []
    if isinstance(data, str):
        return data, None, notes
    head = data[:8192]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), None, ["input read as UTF-16"]
        except UnicodeDecodeError:
            pass
    if head.startswith(BINARY_MAGIC) or b"\x00" in head:
        return None, data, notes
    if head.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8"), None, notes
    except UnicodeDecodeError:
        notes.append(NOT_UTF8)
        return data.decode("utf-8", errors="replace"), None, notes


def unescape_html_page(text: str) -> tuple[str, str | None]:
    """An HTML page's text with its entities decoded (one character per entity, so lines
    stay where they were), and a note saying so; other text as it is."""
    if _HTML_PAGE.search(text[:4096]) and "&" in text:
        return html.unescape(
            text
        ), "HTML page: entities decoded before the search (columns may shift)"
    return text, None
