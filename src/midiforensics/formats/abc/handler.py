"""The ABC handler: tunes written in a text (prose, fences, JSON strings)."""

from __future__ import annotations

from typing import ClassVar

from ..base import Handler, Lost, MusicResult


class ABCHandler(Handler):
    name: ClassVar[str] = "abc"
    suffix: ClassVar[str] = ".abc"
    reads: ClassVar[str] = "text"
    label: ClassVar[str] = "abc"
    spans_paragraphs: ClassVar[bool] = True
    # a field line ("X:1", "K:G") at a line start (indented by any white space or an escaped
    # tab), after an escaped line break or a quote (a JSON string), or a field as a JSON key;
    # the key field of a tune written on one line ("... L:1/8 K:D |: DFA ..."), after white
    # space; or an abc code fence (its tune needs no header); a tune's body runs on to the
    # end of its paragraph
    anchors: ClassVar[str] = (
        r"""(?:^|\n|\\n|["'])(?:[\s\xa0]|\\t)*[A-Za-z]:|"[A-Za-z]"\s*:|[\s\xa0]K:"""
        r"|```\s*(?i:abc)"
    )

    def detect(self, text: str) -> list[tuple[int, int, str]]:
        from .find import find_abc

        return [(s, e, tune) for (s, e), tune in find_abc(text)]

    def repair(self, data: str | bytes, lost: Lost) -> MusicResult | None:
        from .tune import repair_abc

        return repair_abc(data) if isinstance(data, str) else None
