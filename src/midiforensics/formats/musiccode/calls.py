"""The calls the static walk knows: a few builtins, and the ones that make notes and tempo in
midiutil, mido, music21 and pretty_midi. Arguments are read from the syntax tree."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Any

from ..notes import Note
from .python import M21, MAX_LIST, UNBOUND, Found, Unknown, pitch

if TYPE_CHECKING:
    from .python import Walker

NOTE_CALLS = frozenset({"addNote", "Message", "Note", "Chord"})
_TYPES = {"whole": 4.0, "half": 2.0, "quarter": 1.0, "eighth": 0.5, "16th": 0.25, "32nd": 0.125}


def call(w: Walker, e: ast.Call) -> Any:
    f = e.func
    name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
    if isinstance(f, ast.Attribute) and name in ("append", "insert", "repeatAppend", "extend"):
        return _append(w, f, name, e)
    if isinstance(f, ast.Name) and isinstance(w.env.get(name), ast.FunctionDef):
        # a function of the code's own: unknown arguments (a MIDIFile object) stay unbound
        w.inline(
            w.env[name],
            [_lenient(w, a) for a in e.args if not isinstance(a, ast.Starred)],
            {k.arg: _lenient(w, k.value) for k in e.keywords if k.arg},
        )
        return None
    args = [w.value(a) for a in e.args if not isinstance(a, ast.Starred)]
    kw = {k.arg: w.value(k.value) for k in e.keywords if k.arg}
    if name in _BUILTINS and isinstance(f, ast.Name):
        try:
            return _BUILTINS[name](*args, **kw)
        except (TypeError, ValueError, OverflowError) as ex:
            raise Unknown(name) from ex
    if name == "addNote":
        return _add_note(w.found, args, kw)
    if name == "addTempo":
        bpm = kw.get("tempo", args[2] if len(args) > 2 else None)
        if isinstance(bpm, int | float) and w.found.bpm is None and 10 <= bpm <= 400:
            w.found.bpm = float(bpm)
        return None
    return _library(w, name, args, kw)


def _library(w: Walker, name: str, args: list[Any], kw: dict[str, Any]) -> Any:
    found = w.found
    if name in ("bpm2tempo",) and args:
        return round(60_000_000 / args[0])
    if name in ("note_name_to_number", "toMidi", "name_to_number") and args:
        return pitch(args[0])
    if name == "MidiFile":
        found.ticks_per_beat = int(kw.get("ticks_per_beat", found.ticks_per_beat))
        raise Unknown("a MIDI file object")
    if name == "PrettyMIDI":
        if isinstance(kw.get("initial_tempo"), int | float):
            found.bpm = float(kw["initial_tempo"])
        raise Unknown("a PrettyMIDI object")
    if name == "MetaMessage" and args and args[0] == "set_tempo":
        if isinstance(kw.get("tempo"), int | float) and found.bpm is None:
            found.bpm = round(60_000_000 / kw["tempo"], 3)
        raise Unknown("a meta message")
    if name == "Message" and args and args[0] in ("note_on", "note_off"):
        vel = kw.get("velocity", 64)
        return ("msg", args[0], pitch(kw.get("note", 60)), int(vel), int(kw.get("time", 0)))
    if name == "Note" and ("start" in kw or "end" in kw or len(args) == 4):
        vals = dict(zip(("velocity", "pitch", "start", "end"), args, strict=False)) | kw
        start, end = float(vals["start"]), float(vals["end"])
        found.seconds = True
        found.notes.append(
            Note(start, pitch(vals["pitch"]), end - start, int(vals.get("velocity", 100)))
        )
        return None
    if name in ("Note", "Chord", "Rest"):
        length = _length(kw)
        if name == "Rest":
            return M21([], length)
        src = args[0] if args else kw.get("pitch", kw.get("nameWithOctave"))
        if name == "Chord":
            if not isinstance(src, list):
                raise Unknown("chord")
            return M21([pitch(p) for p in src], length)
        return M21([pitch(src)], length)
    if name in ("Stream", "Part", "Measure", "Voice") and args and isinstance(args[0], list):
        voice = w.voices.setdefault(f"<{name} {len(w.voices)}>", len(w.voices))
        at = 0.0
        for item in args[0]:
            if isinstance(item, M21):
                _place(found, item, at, voice)
                at += item.length
        raise Unknown("a stream object")
    if name == "Duration":
        return _length(kw) if kw else float(args[0])
    raise Unknown(name)


def _lenient(w: Walker, e: ast.expr) -> Any:
    try:
        return w.value(e)
    except Unknown:
        return UNBOUND


def _length(kw: dict[str, Any]) -> float:
    ql = kw.get("quarterLength", kw.get("duration"))
    if isinstance(ql, int | float):
        return float(ql)
    if isinstance(kw.get("type"), str) and kw["type"] in _TYPES:
        return _TYPES[kw["type"]]
    return 1.0  # music21's default: a quarter note


def _add_note(found: Found, args: list[Any], kw: dict[str, Any]) -> None:
    names = ("track", "channel", "pitch", "time", "duration", "volume")
    vals = dict(zip(names, args, strict=False)) | kw
    try:
        found.notes.append(
            Note(
                float(vals["time"]),
                pitch(vals["pitch"]),
                float(vals["duration"]),
                int(vals.get("volume", 100)),
                int(vals.get("track", 0)),
            )
        )
    except (KeyError, TypeError, ValueError) as ex:
        raise Unknown("addNote") from ex


def _append(w: Walker, f: ast.Attribute, name: str, e: ast.Call) -> Any:
    target = ast.unparse(f.value)
    args = [w.value(a) for a in e.args]
    held = w.env.get(target) if isinstance(f.value, ast.Name) else None
    if isinstance(held, list):  # a plain list being built
        if name == "append" and len(held) < MAX_LIST:
            held.append(args[0])
        elif name == "extend" and len(held) + len(args[0]) <= MAX_LIST:
            held.extend(args[0])
        return None
    voice = w.voices.setdefault(target, len(w.voices))
    if name == "insert" and len(args) == 2 and isinstance(args[1], M21):
        _place(w.found, args[1], float(args[0]), voice)
        return None
    items = args[0] if name == "extend" or isinstance(args[0], list) else [args[0]]
    times = int(args[1]) if name == "repeatAppend" and len(args) > 1 else 1
    for _ in range(min(times, MAX_LIST)):
        for item in items:
            if isinstance(item, M21):
                at = w.found.streams.get(target, 0.0)
                _place(w.found, item, at, voice)
                w.found.streams[target] = at + item.length
            elif isinstance(item, tuple) and item and item[0] == "msg":
                w.found.mido_events.append((target, *item[1:]))
    return None


def _place(found: Found, m: M21, at: float, voice: int) -> None:
    for p in m.pitches:
        found.notes.append(Note(at, p, m.length, 80, voice))


def mido_notes(found: Found) -> None:
    """Pair the mido note_on/note_off messages appended to each track into notes."""
    tracks: dict[str, list[tuple[str, int, int, int]]] = {}
    for target, kind, note, vel, delta in found.mido_events:
        tracks.setdefault(target, []).append((kind, note, vel, delta))
    tpb = found.ticks_per_beat or 480
    for voice, events in enumerate(tracks.values()):
        now = 0
        sounding: dict[int, tuple[int, int]] = {}
        for kind, note, vel, delta in events:
            now += delta
            if kind == "note_on" and vel > 0:
                sounding[note] = (now, vel)
            elif note in sounding:
                on, v = sounding.pop(note)
                found.notes.append(Note(on / tpb, note, max(now - on, 1) / tpb, v, voice))
        found.skipped += len(sounding)


def _range(*a: Any) -> list[int]:
    r = range(*[int(x) for x in a])
    if len(r) > MAX_LIST:
        raise Unknown("range too long")
    return list(r)


_BUILTINS: dict[str, Any] = {
    "range": _range,
    "len": len,
    "zip": lambda *a: [list(t) for t in zip(*a, strict=False)],
    "enumerate": lambda a, start=0: [[i + start, x] for i, x in enumerate(a)],
    "list": list,
    "int": int,
    "float": float,
    "round": round,
    "abs": abs,
    "min": min,
    "max": max,
    "sum": sum,
    "reversed": lambda a: list(reversed(a)),
}
