"""What the base64 decoder asks of a payload's format, and which format answers.

The frame search needs a payload model (:mod:`.plausible`) to see where bytes stop being
plausible. A format that knows more - a fixed header that a damaged run can be anchored by,
a way to weigh whole decodings against each other, a repairer that says whether music
survives - offers it as a :class:`Judge`. The decoder calls only this interface; which
judge answers is the registry's: a handler offers one (MIDI's lives in ``formats/midi/judge.py``).
"""

from __future__ import annotations

from ..formats.base import HeadEdit, Judge

__all__ = ["HeadEdit", "Judge", "judge_for"]


def judge_for(head: bytes) -> Judge | None:
    """The judge for a payload that begins with ``head``: the first handler in the registry
    that offers one (the MIDI handler, for a head that reads as MIDI)."""
    from ..formats import BYTES_HANDLERS

    for handler in BYTES_HANDLERS:
        judge = handler.frame_judge(head)
        if judge is not None:
            return judge
    return None
