"""Strudel / Tidal mini-notation, one cycle read statically.

``note("c4 [e4 g4] ~ <b4 a4>*2")``: the steps of a sequence share the cycle, ``[a b]``
subdivides a step, ``~`` (or ``-``) rests, ``<a b>`` plays ``a`` in the first cycle, ``*n``
repeats a step n times within it, ``/n`` stretches it over n cycles (its first nth is kept),
``@n`` weights a step, ``!`` repeats the step before, ``a,b`` in brackets sound together.
``n("0 2 4").scale("C:major")`` numbers are scale degrees. One cycle is four beats.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..notes import Note

SCALES = {
    "major": (0, 2, 4, 5, 7, 9, 11),
    "ionian": (0, 2, 4, 5, 7, 9, 11),
    "minor": (0, 2, 3, 5, 7, 8, 10),
    "aeolian": (0, 2, 3, 5, 7, 8, 10),
    "dorian": (0, 2, 3, 5, 7, 9, 10),
    "phrygian": (0, 1, 3, 5, 7, 8, 10),
    "lydian": (0, 2, 4, 6, 7, 9, 11),
    "mixolydian": (0, 2, 4, 5, 7, 9, 10),
    "locrian": (0, 1, 3, 5, 6, 8, 10),
    "harmonicminor": (0, 2, 3, 5, 7, 8, 11),
    "melodicminor": (0, 2, 3, 5, 7, 9, 11),
    "majorpentatonic": (0, 2, 4, 7, 9),
    "pentatonic": (0, 2, 4, 7, 9),
    "minorpentatonic": (0, 3, 5, 7, 10),
    "blues": (0, 3, 5, 6, 7, 10),
    "chromatic": tuple(range(12)),
}
BEATS_PER_CYCLE = 4.0
_PC = {"c": 0, "d": 2, "e": 4, "f": 5, "g": 7, "a": 9, "b": 11}
_ATOM = re.compile(r"[^\s\[\]<>{}(),*/@!]+")
MAX_EVENTS = 4096


@dataclass
class Step:
    kind: str  # "atom" | "seq" | "alt" | "stack"
    text: str = ""
    parts: list[list[Step]] | None = None  # seq: [steps]; alt: [steps]; stack: [seq, seq...]
    fast: float = 1.0
    slow: float = 1.0
    weight: float = 1.0


class Parser:
    def __init__(self, src: str) -> None:
        self.s = src
        self.i = 0
        self.alternations = 0  # <...> groups of which only the first was read

    def sequence(self, close: str = "") -> list[list[Step]]:
        """Comma-separated layers of steps up to ``close``."""
        layers: list[list[Step]] = [[]]
        while self.i < len(self.s):
            c = self.s[self.i]
            if c in " \t\n\r|":
                self.i += 1
            elif c == close:
                self.i += 1
                return layers
            elif c in "]>}" or c == ")":
                self.i += 1  # a stray closing bracket
            elif c == ",":
                self.i += 1
                layers.append([])
            elif c == "!" and layers[-1]:
                self.i += 1
                layers[-1].append(layers[-1][-1])
            else:
                layers[-1].append(self.modified(self.step()))
        return layers

    def step(self) -> Step:
        c = self.s[self.i]
        if c in "[{":
            self.i += 1
            layers = self.sequence("]" if c == "[" else "}")
            return Step("stack", parts=layers) if len(layers) > 1 else Step("seq", parts=layers)
        if c == "<":
            self.i += 1
            layers = self.sequence(">")
            self.alternations += 1
            return Step("alt", parts=layers)
        m = _ATOM.match(self.s, self.i)
        if not m:
            self.i += 1
            return Step("atom", "~")
        self.i = m.end()
        return Step("atom", m.group(0))

    def modified(self, st: Step) -> Step:
        while self.i < len(self.s) and self.s[self.i] in "*/@":
            op = self.s[self.i]
            m = re.compile(r"\d+(?:\.\d+)?").match(self.s, self.i + 1)
            if not m:
                self.i += 1
                continue
            self.i = m.end()
            v = float(m.group(0)) or 1.0
            if op == "*":
                st.fast *= v
            elif op == "/":
                st.slow *= v
            else:
                st.weight = v
        return st


def render(
    steps: list[Step], start: float, span: float, out: list[tuple[float, float, str]]
) -> None:
    """Events (onset, length, atom) of ``steps`` sharing [start, start + span)."""
    total = sum(s.weight for s in steps) or 1.0
    at = start
    for st in steps:
        width = span * st.weight / total
        reps = max(1, int(st.fast))
        for k in range(min(reps, 64)):
            one = width / reps
            _render_one(st, at + k * one, one * st.slow, at + (k + 1) * one, out)
        at += width


def _render_one(
    st: Step, start: float, span: float, until: float, out: list[tuple[float, float, str]]
) -> None:
    if len(out) > MAX_EVENTS:
        return
    got: list[tuple[float, float, str]] = []
    if st.kind == "atom":
        got.append((start, span, st.text))
    elif st.kind == "alt" and st.parts:
        layer = st.parts[0]
        if layer:
            _render_one(layer[0], start, span, until, got)
    else:
        for layer in st.parts or []:
            render(layer, start, span, got)
    for on, ln, a in got:
        if on < until - 1e-9:
            out.append((on, min(ln, until - on), a))


def atom_pitch(atom: str, scale: tuple[int, tuple[int, ...]] | None, octave: int = 3) -> int | None:
    """The MIDI pitch of one atom: a note name (octave 3 when none is given, as in Strudel),
    a number (a MIDI key, or a scale degree when a scale is given); None for a rest."""
    a = atom.split(":")[0].strip().lower()
    if a in ("~", "-", "_", ""):
        return None
    if re.fullmatch(r"-?\d+(?:\.\d+)?", a):
        v = int(float(a))
        if scale is None:
            return v if 0 <= v <= 127 else None
        root, steps = scale
        return root + 12 * (v // len(steps)) + steps[v % len(steps)]
    m = re.fullmatch(r"([a-g])(#+|s+|b+|f+)?(-?\d)?", a)
    if not m:
        return None
    acc = m.group(2) or ""
    pc = _PC[m.group(1)] + sum(1 if ch in "#s" else -1 for ch in acc)
    octave = int(m.group(3)) if m.group(3) else octave
    p = 12 * (octave + 1) + pc
    return p if 0 <= p <= 127 else None


def parse_scale(text: str) -> tuple[int, tuple[int, ...]] | None:
    """``"C:major"``, ``"c3:minor"``, ``"D4 dorian"`` -> (root pitch, steps)."""
    parts = re.split(r"[:\s]+", text.strip().lower(), maxsplit=1)
    root = atom_pitch(parts[0], None) if parts and parts[0] else None
    name = re.sub(r"[^a-z]", "", parts[1]) if len(parts) > 1 else "major"
    if root is None or name not in SCALES:
        return None
    return root, SCALES[name]


def read_pattern(
    src: str, scale: tuple[int, tuple[int, ...]] | None, voice: int, tidal: bool = False
) -> tuple[list[Note], int]:
    """One cycle of a mini-notation pattern as notes, and how many ``<...>`` alternatives
    were left for later cycles. Names without an octave are in octave 3 (Strudel); Tidal
    numbers its octaves from c5 = middle C, and a bare name is in that octave."""
    p = Parser(src)
    layers = p.sequence()
    events: list[tuple[float, float, str]] = []
    for layer in layers:
        render(layer, 0.0, 1.0, events)
    notes = []
    for on, ln, atom in events:
        if re.match(r"-?\d", atom):
            pitch = atom_pitch(atom, scale)
        else:
            pitch = atom_pitch(atom, None, 5 if tidal else 3)
            pitch = pitch - 12 if tidal and pitch is not None and pitch >= 12 else pitch
        if pitch is not None:
            notes.append(Note(on * BEATS_PER_CYCLE, pitch, ln * BEATS_PER_CYCLE, 90, voice))
    return notes, p.alternations
