"""Python that builds music, read from its syntax tree: never run, never evaluated.

Statements are walked in order with a small table of names bound to literal values; simple
arithmetic, ``zip``/``enumerate``/``range``/``len`` and ``for`` loops over known lists are
followed (a bounded number of steps). The calls that make notes are recognised by name:
midiutil ``addNote``/``addTempo``, mido ``Message('note_on', ...)``/``MetaMessage('set_tempo')``,
music21 ``note.Note``/``chord.Chord``/``note.Rest`` appended to a stream, pretty_midi
``Note(pitch=, start=, end=)``. A value the walk cannot know is skipped and counted as lost.
"""

from __future__ import annotations

import ast
import contextlib
from dataclasses import dataclass, field
from typing import Any

from ..notes import Note, note_name

MAX_STEPS = 20_000  # loop iterations followed in one program
MAX_LIST = 10_000


UNBOUND = object()  # an argument whose value the walk does not know


# what a value of an unexpected type raises in the walk (a str where a number goes): that
# statement is not read, like an unknown value
_VALUE_ERRORS = (
    TypeError,
    ValueError,
    AttributeError,
    KeyError,
    IndexError,
    OverflowError,
    ZeroDivisionError,
)


class Unknown(Exception):
    """A value the static walk cannot know."""


@dataclass
class M21:
    """A music21 note, chord or rest made in the code (pitches empty for a rest)."""

    pitches: list[int]
    length: float


@dataclass
class Found:
    """What the walk found: notes (quarter notes), the tempo, and what it could not read."""

    notes: list[Note] = field(default_factory=list)
    bpm: float | None = None
    skipped: int = 0
    seconds: bool = False  # pretty_midi times (seconds)
    mido_events: list[tuple[str, str, int, int, int]] = field(default_factory=list)
    ticks_per_beat: int = 480
    streams: dict[str, float] = field(default_factory=dict)  # music21 stream -> running offset


class Walker:
    def __init__(self) -> None:
        self.env: dict[str, Any] = {}
        self.found = Found()
        self.steps = 0
        self.voices: dict[str, int] = {}
        self.depth = 0

    # --- statements ---------------------------------------------------------------------
    def run(self, body: list[ast.stmt]) -> None:
        for st in body:
            self.steps += 1
            if self.steps > MAX_STEPS:
                return
            try:
                self.stmt(st)
            except (Unknown, *_VALUE_ERRORS):
                self.found.skipped += _calls_in([st])

    def stmt(self, st: ast.stmt) -> None:
        if isinstance(st, ast.Assign):
            try:
                value = self.value(st.value)
            except Unknown:
                for t in st.targets:
                    self.forget(t)
                self.found.skipped += _calls_in([st])
                return
            for t in st.targets:
                self.bind(t, value)
        elif isinstance(st, ast.AnnAssign) and st.value is not None:
            self.stmt(ast.Assign(targets=[st.target], value=st.value))
        elif isinstance(st, ast.AugAssign) and isinstance(st.target, ast.Name):
            cur = self.env.get(st.target.id)
            try:
                self.env[st.target.id] = _binop(st.op, cur, self.value(st.value))
            except Unknown:
                self.env.pop(st.target.id, None)
        elif isinstance(st, ast.Expr):
            self.value(st.value)
        elif isinstance(st, ast.For):
            self.loop(st)
        elif isinstance(st, ast.With | ast.Try | ast.If):
            if isinstance(st, ast.If) and not self.known_true(st.test):
                self.run(st.orelse)
                return
            self.run(st.body)
        elif isinstance(st, ast.FunctionDef):
            self.env[st.name] = st  # followed when it is called (see ``inline``)

    def known_true(self, test: ast.expr) -> bool:
        if isinstance(test, ast.Compare) and isinstance(test.left, ast.Name):
            return test.left.id == "__name__"
        try:
            return bool(self.value(test))
        except Unknown:
            return True  # follow the body: a guard around the music is the common case

    def loop(self, st: ast.For) -> None:
        try:
            items = list(self.value(st.iter))
        except (Unknown, TypeError):
            self.forget(st.target)
            self.found.skipped += _calls_in(st.body)
            return
        for item in items:
            if self.steps > MAX_STEPS:
                self.found.skipped += _calls_in(st.body)
                return
            self.bind(st.target, item)
            self.run(st.body)

    def bind(self, target: ast.expr, value: Any) -> None:
        if isinstance(target, ast.Name):
            self.env[target.id] = value
        elif isinstance(target, ast.Tuple | ast.List):
            try:
                vals = list(value)
            except TypeError:
                vals = []
            if len(vals) != len(target.elts):
                self.forget(target)
                return
            for t, v in zip(target.elts, vals, strict=True):
                self.bind(t, v)
        elif isinstance(target, ast.Attribute) and target.attr == "quarterLength":
            owner = target.value  # n.quarterLength or n.duration.quarterLength
            if isinstance(owner, ast.Attribute) and owner.attr == "duration":
                owner = owner.value
            obj = self.env.get(owner.id) if isinstance(owner, ast.Name) else None
            if isinstance(obj, M21) and isinstance(value, int | float):
                obj.length = float(value)

    def forget(self, target: ast.expr) -> None:
        for n in ast.walk(target):
            if isinstance(n, ast.Name):
                self.env.pop(n.id, None)

    # --- expressions --------------------------------------------------------------------
    def value(self, e: ast.expr) -> Any:
        if isinstance(e, ast.Constant):
            return e.value
        if isinstance(e, ast.Name):
            if e.id in self.env:
                return self.env[e.id]
            raise Unknown(e.id)
        if isinstance(e, ast.List | ast.Tuple):
            return [self.value(x) for x in e.elts]
        if isinstance(e, ast.Dict):
            return {
                self.value(k): self.value(v) for k, v in zip(e.keys, e.values, strict=True) if k
            }
        if isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.USub):
            return -self.value(e.operand)
        if isinstance(e, ast.BinOp):
            return _binop(e.op, self.value(e.left), self.value(e.right))
        if isinstance(e, ast.Subscript):
            seq, idx = self.value(e.value), self.value(e.slice)
            try:
                return seq[idx]
            except (IndexError, KeyError, TypeError) as ex:
                raise Unknown("subscript") from ex
        if isinstance(e, ast.Attribute) and e.attr == "ticks_per_beat":
            return self.found.ticks_per_beat
        if isinstance(e, ast.ListComp) and len(e.generators) == 1:
            return self.comprehension(e)
        if isinstance(e, ast.Call):
            from .calls import call

            return call(self, e)
        raise Unknown(type(e).__name__)

    def inline(self, fn: ast.FunctionDef, args: list[Any], kw: dict[str, Any]) -> None:
        """Follow a call of a function the code defines: its parameters bound to the
        arguments (or their literal defaults), its body walked, its names then dropped."""
        if self.depth >= 4:
            raise Unknown("calls too deep")
        params = [a.arg for a in fn.args.args]
        defaults = fn.args.defaults
        bound = dict(zip(params[len(params) - len(defaults) :], defaults, strict=True))
        saved = dict(self.env)
        for name, v in bound.items():
            try:
                self.env[name] = self.value(v)
            except Unknown:
                self.env.pop(name, None)
        given = dict(zip(params, args, strict=False)) | {k: v for k, v in kw.items() if k in params}
        for name, v in given.items():
            if v is UNBOUND:
                self.env.pop(name, None)
            else:
                self.env[name] = v
        self.depth += 1
        try:
            self.run(fn.body)
        finally:
            self.depth -= 1
            self.env = saved

    def comprehension(self, e: ast.ListComp) -> list[Any]:
        gen = e.generators[0]
        out = []
        saved = dict(self.env)
        for item in list(self.value(gen.iter))[:MAX_LIST]:
            self.bind(gen.target, item)
            if all(self.value(c) for c in gen.ifs):
                out.append(self.value(e.elt))
        self.env = saved
        return out


def _binop(op: ast.operator, a: Any, b: Any) -> Any:
    """Arithmetic on known values; lists and strings only while they stay short (the walk
    never builds anything big, whatever the code asks for)."""
    if isinstance(op, ast.Mult) and isinstance(a, int | float) and isinstance(b, list | str):
        a, b = b, a
    if isinstance(a, list | str) and not isinstance(op, ast.Add | ast.Mult):
        raise Unknown("operator")
    if (
        isinstance(a, list | str)
        and isinstance(op, ast.Mult)
        and (not isinstance(b, int) or isinstance(b, bool) or len(a) * max(b, 0) > MAX_LIST)
    ):
        raise Unknown("too long")
    if isinstance(a, list | str) and isinstance(b, list | str) and len(a) + len(b) > MAX_LIST:
        raise Unknown("too long")
    fn = _OPS.get(type(op))
    if fn is None:
        raise Unknown("operator")
    try:
        return fn(a, b)
    except (TypeError, ZeroDivisionError, ValueError, OverflowError) as ex:
        raise Unknown("arithmetic") from ex


_OPS: dict[type[ast.operator], Any] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.FloorDiv: lambda a, b: a // b,
    ast.Mod: lambda a, b: a % b,
}


def _calls_in(body: list[ast.stmt]) -> int:
    """How many note-making calls a body holds (what is lost when it cannot be followed)."""
    from .calls import NOTE_CALLS

    n = 0
    for st in body:
        for node in ast.walk(st):
            if isinstance(node, ast.Call):
                f = node.func
                name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
                n += name in NOTE_CALLS
    return n


def pitch(v: Any) -> int:
    if isinstance(v, bool):
        raise Unknown("pitch")
    if isinstance(v, int | float) and 0 <= v <= 127:
        return int(v)
    if isinstance(v, str):
        p = note_name(v.replace("-", "b"), default_octave=4)
        if p is not None:
            return p
    raise Unknown("pitch")


def read_python(code: str) -> Found | None:
    """The notes a Python program would make, read statically; None when it does not parse."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    w = Walker()
    try:
        w.run(tree.body)
    except RecursionError:
        return None  # nested past what a static reading follows
    if not w.found.notes and not w.found.mido_events:  # functions defined but not called
        for fn in [v for v in w.env.values() if isinstance(v, ast.FunctionDef)]:
            if len(fn.args.defaults) == len(fn.args.args):
                with contextlib.suppress(Unknown):
                    w.inline(fn, [], {})
    from .calls import mido_notes

    mido_notes(w.found)
    return w.found
