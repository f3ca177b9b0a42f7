"""Chat messages grouped for the search: a blob cut off in one message and continued in a
later one ("part 1 of 2" ... "continue" ... "part 2") is searched as one text."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ..classify import STARTS, wants_more
from ..locate import Run, find_base64
from .exports import Message

Decode = Callable[[str], bytes]
# Runs a function; an exception becomes a problem in the report and the result None.
Safe = Callable[..., Any]


def iter_groups(
    messages: Iterable[Message], decode: Decode, safe: Safe
) -> Iterator[tuple[list[Message], bool]]:
    """Messages in order, with a message that continues a blob cut off in an earlier one put
    in that message's group. Messages without base64 in between (the user's "continue") stay
    apart. ``decode`` gives a run's bytes (the pipeline's, so each run is decoded once);
    ``safe`` runs the finder and the decoder (a failure: a message with no blob in it).

    Each group is yielded once it is whole, with ``later``: True for a group that comes after
    a group still open (a blob that wants more), so yielded before it: the caller searches
    it now but reports it after that group, which is yielded (with ``later`` False) when it
    closes. A group yielded with ``later`` False comes after every group yielded before it.
    """
    tail: list[Message] | None = None  # the open group: its last base64 run wants more
    for m in messages:
        runs: list[Run] = safe(find_base64, m.text) or []
        if not runs:
            yield [m], tail is not None
            continue
        if tail is not None and not (safe(decode, runs[0].payload) or b"").startswith(STARTS):
            tail.append(m)
        else:
            if tail is not None:
                yield tail, False
            tail = [m]
        if not safe(_wanting, runs[-1], decode):
            yield tail, False
            tail = None
    if tail is not None:
        yield tail, False


def _wanting(run: Run, decode: Decode) -> bool:
    if run.payload.endswith("="):
        return False
    return wants_more(decode(run.payload), len(run.payload))
