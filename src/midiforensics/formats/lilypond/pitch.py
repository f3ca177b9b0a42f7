"""LilyPond note words: the Dutch names LilyPond reads by default, the English ones it reads
under ``\\language "english"``, and the spellings models write that it reads in neither."""

from __future__ import annotations

from typing import NamedTuple

STEPS = "cdefgab"
SEMITONE = {"c": 0, "d": 2, "e": 4, "f": 5, "g": 7, "a": 9, "b": 11}

_DUTCH = {"": 0, "is": 1, "isis": 2, "es": -1, "eses": -2, "s": -1, "ses": -2}  # as, ases: a, e
_ENGLISH = {
    "": 0, "s": 1, "ss": 2, "x": 2, "f": -1, "ff": -2, "-sharp": 1, "-sharpsharp": 2,
    "-flat": -1, "-flatflat": -2,
}  # fmt: skip
_MODEL = {
    "#": 1, "##": 2, "♯": 1, "b": -1, "bb": -2, "♭": -1, "sharp": 1, "flat": -1,
    "-sharp": 1, "-flat": -1,
}  # fmt: skip


class Pitch(NamedTuple):
    step: int  # 0-6, c to b
    alter: int  # semitones
    octave: int  # octave marks: +1 per ', -1 per ,
    fixed: str  # "" when LilyPond reads the word as written; else the word it should be


def parse_word(word: str, english: bool = False) -> Pitch | None:
    """The pitch a note word names (octave marks included), or None when it is not one."""
    body = word.rstrip("!?")
    marks = len(body) - len(body.rstrip("',"))
    octave = body[len(body) - marks :].count("'") - body[len(body) - marks :].count(",")
    body = body[: len(body) - marks]
    if not body or body[0] not in SEMITONE:
        return None
    letter, suffix = body[0], body[1:]
    step = STEPS.index(letter)
    dutch = _DUTCH if letter in "ae" else {k: v for k, v in _DUTCH.items() if k[:1] != "s"}
    tables = [(_ENGLISH, True), (dutch, False)] if english else [(dutch, False), (_ENGLISH, True)]
    for table, is_english in tables:
        if suffix in table:
            fixed = "" if is_english == english else _spelled(letter, table[suffix], english)
            return Pitch(step, table[suffix], octave, fixed)
    if suffix in _MODEL:
        return Pitch(step, _MODEL[suffix], octave, _spelled(letter, _MODEL[suffix], english))
    return None


def _spelled(letter: str, alter: int, english: bool) -> str:
    if english:
        return letter + ("s" * alter if alter > 0 else "f" * -alter)
    return _dutch(letter, alter)


def _dutch(letter: str, alter: int) -> str:
    if alter == 0:
        return letter
    if alter > 0:
        return letter + "is" * alter
    if letter in "ae":
        return letter + "s" + "es" * (-alter - 1)
    return letter + "es" * -alter


def midi_of(step: int, alter: int, octave: int) -> int:
    """The MIDI key of a pitch in LilyPond's absolute octaves (``c`` is C3, ``c'`` middle C)."""
    return 48 + 12 * octave + SEMITONE[STEPS[step]] + alter
