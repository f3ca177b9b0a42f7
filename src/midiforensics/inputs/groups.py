"""Chat messages grouped for the search: a blob cut off in one message and continued in a
later one ("part 1 of 2" ... "continue" ... "part 2") is searched as one text."""

from __future__ import annotations

from collections.abc import Callable

from ..classify import STARTS, wants_more
from ..locate import Run, find_base64
from .exports import Message

Decode = Callable[[str], bytes]


def message_groups(messages: list[Message], decode: Decode) -> list[list[Message]]:
    """Messages in order, with a message that continues a blob cut off in an earlier one put
    in that message's group. Messages without base64 in between (the user's "continue") stay
    apart. ``decode`` gives a run's bytes (the pipeline's, so each run is decoded once)."""
    groups: list[list[Message]] = []
    tail: int | None = None  # the group whose last base64 run wants more
    for m in messages:
        runs = find_base64(m.text)
        if not runs:
            groups.append([m])
            continue
        if tail is not None and not decode(runs[0].payload).startswith(STARTS):
            groups[tail].append(m)
        else:
            groups.append([m])
            tail = len(groups) - 1
        if not _wanting(runs[-1], decode):
            tail = None
    return groups


def _wanting(run: Run, decode: Decode) -> bool:
    if run.payload.endswith("="):
        return False
    return wants_more(decode(run.payload), len(run.payload))
