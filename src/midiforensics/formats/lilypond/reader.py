"""A static reader for LilyPond music: notes, rests, chords, ties, tuplets, repeats, voices
and staves, in absolute, ``\\relative`` and ``\\fixed`` octaves. It reads what LilyPond would
play; it never runs LilyPond. What it cannot read exactly is a repair (see :class:`Reader`)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ...report.models import Repair
from ..notes import Note
from .pitch import midi_of, parse_word
from .tokens import Token, tokenize

STAGE = "lilypond"
LILYPOND_BPM = 60.0  # LilyPond's MIDI output plays 4 = 60 when no \tempo says otherwise
TEMPO_WORDS = {
    "grave": 40, "largo": 50, "lento": 50, "adagio": 70, "andante": 90, "moderato": 110,
    "allegretto": 115, "allegro": 130, "vivace": 150, "presto": 175, "prestissimo": 200,
}  # fmt: skip
VOICE_CONTEXTS = {"Staff", "Voice", "TabStaff", "RhythmicStaff", "DrumStaff", "TabVoice"}
SKIPPED_CONTEXTS = {"Lyrics", "ChordNames", "FiguredBass", "Dynamics", "NoteNames"}
SKIP_BLOCK = {
    "header", "paper", "layout", "midi", "with", "markup", "markuplist", "lyricmode",
    "lyrics", "addlyrics", "lyricsto", "chordmode", "chords", "figuremode", "figures",
    "drummode", "drums",
}  # fmt: skip
UNREAD_MODES = {"chordmode", "chords", "drummode", "drums", "figuremode", "figures"}
GRACE = {"grace", "acciaccatura", "appoggiatura", "slashedGrace"}
SETTERS = {"set", "override", "unset", "revert", "tweak", "overrideProperty"}
MAX_DEPTH = 24  # variables within variables
MAX_NEST = 200  # blocks within blocks
MAX_STEPS = 500_000  # expressions read, over all repeats
MAX_NOTES = 20_000  # a long model-written score has a few thousand


@dataclass
class Voice:
    """The running state of one voice: where it is, its last duration and its octave rule."""

    voice: int = 0
    dur: float = 1.0  # the last written duration (quarter notes); LilyPond starts with 4
    scale: float = 1.0  # tuplets and \scaleDurations
    rel: int | None = None  # relative mode: the last note as a diatonic step (c = 0, c' = 7)
    octave: int = 0  # \fixed: octaves added to every note
    transpose: int = 0  # semitones
    chord: tuple[int, ...] = ()  # the last chord, for q
    mute: bool = False  # grace notes and dry runs: read, but not played


@dataclass
class Reading:
    notes: list[Note]
    repairs: list[Repair]
    bpm: float | None


@dataclass
class Reader:
    text: str
    tokens: list[Token] = field(default_factory=list)
    english: bool = False
    notes: list[list[float]] = field(default_factory=list)  # onset, pitch, length, voice, tie
    repairs: list[Repair] = field(default_factory=list)
    variables: dict[str, int] = field(default_factory=dict)
    voices: int = 1
    bpm: float | None = None
    tempo_word: str = ""
    depth: int = 0
    last: list[int] = field(default_factory=list)  # indices of the last note or chord
    told: set[str] = field(default_factory=set)
    steps: int = 0
    nest: int = 0

    def __post_init__(self) -> None:
        self.tokens = tokenize(self.text)
        self.english = '\\language "english"' in self.text

    # -- helpers ---------------------------------------------------------------------------
    def tok(self, i: int) -> Token | None:
        return self.tokens[i] if 0 <= i < len(self.tokens) else None

    def kind(self, i: int) -> str:
        t = self.tok(i)
        return t.kind if t else ""

    def tell(self, key: str, repair: Repair) -> None:
        """A repair said once per kind of thing (``key``), not at every note."""
        if key not in self.told:
            self.told.add(key)
            self.repairs.append(repair)

    def length(self, t: Token, v: Voice) -> float:
        """The length of a note, rest or chord token in quarter notes; sets the carried
        duration."""
        if t.dur:
            base = {"\\breve": 8.0, "\\longa": 16.0}.get(t.dur)
            if base is None:
                d = int(t.dur)
                base = 4.0 / d if d > 0 else v.dur
            v.dur = base * (2 - 0.5**t.dots)
        elif t.dots:
            v.dur = v.dur * (2 - 0.5**t.dots)
        out = v.dur * v.scale
        for part in t.mul.split("*")[1:]:
            num, _, den = part.partition("/")
            out *= int(num) / int(den or 1) if int(den or 1) else 1
        return out

    def pitch(self, t: Token, v: Voice) -> int | None:
        """The MIDI key of a note word, by the voice's octave rule; None when not a pitch."""
        p = parse_word(t.text, self.english)
        if p is None:
            return None
        if p.fixed:
            self.repairs.append(
                Repair(STAGE, "pitch-spelling",
                       f"'{p_word(t.text)}' is not a LilyPond note name; read as "
                       f"'{p.fixed}'", offset=t.offset, before=p_word(t.text), after=p.fixed)
            )  # fmt: skip
        if v.rel is None:
            octave = p.octave + v.octave
        else:
            octave = round((v.rel - p.step) / 7)  # within a fourth of the last note
            octave += p.octave
            v.rel = octave * 7 + p.step
        return midi_of(p.step, p.alter, octave) + v.transpose

    def add(self, onset: float, pitch: int, length: float, v: Voice) -> None:
        if not v.mute:
            self.last.append(len(self.notes))
            self.notes.append([onset, pitch, length, v.voice, 0])


def p_word(text: str) -> str:
    return text.rstrip("',!?")


class Interpreter(Reader):
    """The music: each method reads one construct from token ``i`` at time ``t`` and returns
    the index after it and the time it ends."""

    def music(self, i: int, t: float, v: Voice) -> tuple[int, float]:
        """One music expression: a note, a chord, a block, or a command with its music."""
        self.steps += 1
        if self.steps > MAX_STEPS or self.nest > MAX_NEST or len(self.notes) > MAX_NOTES:
            self.tell(
                "budget",
                Repair(STAGE, "cut-short",
                       "the music is too long or too deeply nested to read whole (repeats "
                       "within repeats, blocks within blocks): read up to here",
                       offset=self.tokens[min(i, len(self.tokens) - 1)].offset if self.tokens
                       else 0, confidence=0.5, loss="lost"),
            )  # fmt: skip
            return len(self.tokens), t
        self.nest += 1
        try:
            return self.expression(i, t, v)
        finally:
            self.nest -= 1

    def expression(self, i: int, t: float, v: Voice) -> tuple[int, float]:
        tk = self.tok(i)
        if tk is None:
            return i, t
        if tk.kind == "{":
            return self.seq(i + 1, t, v, "}")
        if tk.kind == "<<":
            return self.simul(i + 1, t, v)
        if tk.kind == "chord":
            return self.chord(i, t, v)
        if tk.kind == "note":
            return self.word(i, t, v)
        if tk.kind == "cmd":
            return self.command(i, t, v)
        if tk.kind == "~":
            for k in self.last:
                self.notes[k][4] = 1
        return i + 1, t

    def seq(self, i: int, t: float, v: Voice, closer: str) -> tuple[int, float]:
        while i < len(self.tokens) and self.kind(i) != closer:
            if self.kind(i) in ("}", ">>"):  # a stray closer ends the block too
                return i + 1, t
            i, t = self.music(i, t, v)
        return i + 1, t

    def simul(self, i: int, t: float, v: Voice) -> tuple[int, float]:
        """``<< a b >>`` and ``<< a \\\\ b >>``: each part from ``t``; every part after the
        first (and every part after a ``\\\\``) is a voice of its own."""
        end, first, after = t, True, v
        while i < len(self.tokens) and self.kind(i) not in (">>", "}"):
            if self.kind(i) == "sep":
                i += 1
                continue
            part = replace(v) if first else replace(v, voice=self.new_voice())
            before = len(self.notes)
            i, stop = self.music(i, t, part)
            if first and len(self.notes) > before:
                first, after = False, part
            end = max(end, stop)
        v.rel, v.dur, v.chord = after.rel, after.dur, after.chord
        return i + 1, end

    def new_voice(self) -> int:
        self.voices += 1
        return self.voices - 1

    def word(self, i: int, t: float, v: Voice) -> tuple[int, float]:
        tk = self.tokens[i]
        if tk.text in ("r", "R", "s") or tk.text.rstrip("!?") == "r":
            return i + 1, t + self.length(tk, v)
        if tk.text == "q" and v.chord:
            return self.sound(i, t, v, list(v.chord), tk)
        pitch = self.pitch(tk, v)
        if pitch is None:
            return i + 1, t  # a word that is not music here (a property name, a typo)
        return self.sound(i, t, v, [pitch], tk)

    def sound(self, i: int, t: float, v: Voice, pitches: list[int], tk: Token) -> tuple[int, float]:
        length = self.length(tk, v)
        self.last = []
        for p in pitches:
            self.add(t, p, length, v)
        if len(pitches) > 1:
            v.chord = tuple(pitches)
        return i + 1, t + length

    def chord(self, i: int, t: float, v: Voice) -> tuple[int, float]:
        """``<c e g>4``: each pitch relative to the one before; the first leads on."""
        pitches: list[int] = []
        first_rel: int | None = None
        i += 1
        while i < len(self.tokens) and self.kind(i) not in ("chord_end", "}", ">>"):
            tk = self.tokens[i]
            if tk.kind == "note":
                p = self.pitch(tk, v)
                if p is not None:
                    pitches.append(p)
                    if first_rel is None:
                        first_rel = v.rel
            i += 1
        if first_rel is not None:
            v.rel = first_rel
        end = self.tok(i)
        if end is None or end.kind != "chord_end" or not pitches:
            return i, t
        return self.sound(i, t, v, pitches, end)

    def command(self, i: int, t: float, v: Voice) -> tuple[int, float]:
        name = self.tokens[i].text[1:]
        if name in SKIP_BLOCK:
            stop = self.skip_block(i + 1)
            if name == "midi":  # \midi { \tempo 4 = 90 }: the tempo of the MIDI output
                for k in range(i + 1, stop):
                    if self.tokens[k].text == "\\tempo":
                        self.tempo(k + 1)
            elif name in UNREAD_MODES:
                self.unread(i, stop, f"\\{name}")
            return stop, t
        if name in ("relative", "fixed", "absolute", "transpose"):
            return self.octaves(i, t, v, name)
        if name in ("times", "tuplet", "scaleDurations"):
            return self.tuplet(i, t, v, name)
        if name == "repeat":
            return self.repeat(i, t, v)
        if name in ("new", "context"):
            return self.context(i, t, v)
        if name in GRACE:
            return self.grace(i + 1, t, v)
        if name == "afterGrace":
            i += 1 + (self.kind(i + 1) == "num")
            i, end = self.music(i, t, v)
            return self.grace(i, end, v)
        if name == "tempo":
            return self.tempo(i + 1), t
        if name in SETTERS:
            for k in range(i + 1, min(i + 9, len(self.tokens))):
                if self.kind(k) == "=":  # the value: Scheme (no token), a string, a number
                    return k + 1 + (self.kind(k + 1) in ("str", "num")), t
            return i + 2, t
        if name in ("time", "partial", "numericTimeSignature"):
            while self.kind(i + 1) == "num":
                i += 1
            return i + 1, t
        if name in ("key", "clef", "bar", "version", "include", "language", "mark", "change"):
            return i + 2 + (name in ("key", "change")), t
        if name in self.variables and self.depth < MAX_DEPTH:
            self.depth += 1
            _, end = self.music(self.variables[name], t, v)
            self.depth -= 1
            return i + 1, end
        return i + 1, t  # \voiceOne, \break, \fermata, \f: nothing to play

    def unread(self, i: int, end: int, what: str) -> None:
        """Chord names, drums and figures are music this reader does not play: said once."""
        if any(self.kind(k) == "note" for k in range(i, end)):
            self.tell(
                what,
                Repair(STAGE, "mode-not-read",
                       f"{what} (chord names, drums or figures) is not read: its notes are not "
                       "in the MIDI", offset=self.tokens[i].offset, confidence=0.8, loss="lost"),
            )  # fmt: skip

    def skip_block(self, i: int) -> int:
        """After a command whose argument is not music (\\header, \\markup, \\lyricmode):
        skip its words and commands up to and over one balanced block."""
        while i < len(self.tokens) and self.kind(i) not in ("{", "<<"):
            if self.kind(i) not in ("cmd", "str", "=", "note"):
                return i
            i += 1
        depth = 0
        while i < len(self.tokens):
            k = self.kind(i)
            depth += k in ("{", "<<")
            depth -= k in ("}", ">>")
            i += 1
            if depth <= 0:
                break
        return i

    def octaves(self, i: int, t: float, v: Voice, name: str) -> tuple[int, float]:
        """``\\relative [pitch] music``, ``\\fixed pitch music``, ``\\absolute music``,
        ``\\transpose from to music``: the inner music by its own octave rule."""
        inner = replace(v)
        i += 1
        ref = self.tok(i)
        pitches = []
        for _ in range({"relative": 1, "fixed": 1, "absolute": 0, "transpose": 2}[name]):
            p = parse_word(ref.text, self.english) if ref and ref.kind == "note" else None
            if p is None:
                break
            pitches.append(p)
            i += 1
            ref = self.tok(i)
        if name == "relative":
            # without a pitch, the first note is absolute: as if relative to f
            inner.rel = 3 if not pitches else pitches[0].octave * 7 + pitches[0].step
        elif name == "fixed" and pitches:
            inner.rel, inner.octave = None, pitches[0].octave
        elif name == "absolute":
            inner.rel, inner.octave = None, 0
        elif name == "transpose" and len(pitches) == 2:
            a, b = pitches
            inner.transpose += midi_of(b.step, b.alter, b.octave) - midi_of(
                a.step, a.alter, a.octave
            )
        i, end = self.music(i, t, inner)
        v.dur = inner.dur
        return i, end

    def tuplet(self, i: int, t: float, v: Voice, name: str) -> tuple[int, float]:
        frac = self.tok(i + 1)
        i += 2
        try:
            num, _, den = frac.text.partition("/") if frac else ("1", "", "1")
            factor = int(num) / int(den or 1)
        except (ValueError, ZeroDivisionError):
            return i - 1, t
        if name == "tuplet":
            factor = 1 / factor if factor else 1.0
            if self.kind(i) == "num":  # \tuplet 3/2 8 { }: the span of each group
                i += 1
        inner = replace(v, scale=v.scale * factor)
        i, end = self.music(i, t, inner)
        v.dur, v.rel, v.chord = inner.dur, inner.rel, inner.chord
        return i, end

    def repeat(self, i: int, t: float, v: Voice) -> tuple[int, float]:
        """``\\repeat volta 2 music [\\alternative { a b }]``: played as performed, the body
        as many times as it says, each time with its ending (a volta repeat is a repair:
        LilyPond's own MIDI plays it once unless asked to unfold it)."""
        at = self.tokens[i].offset
        kind = self.tok(i + 1)
        count_tok = self.tok(i + 2)
        if kind is None or count_tok is None or count_tok.kind != "num":
            return i + 1, t
        count = max(1, min(int(count_tok.text.rstrip(".")), 16))
        body = i + 3
        end_body, _ = self.music(body, t, replace(v, mute=True))
        alts: list[int] = []
        after = end_body
        if self.kind(end_body) == "cmd" and self.tokens[end_body].text == "\\alternative":
            k = end_body + 1
            if self.kind(k) == "{":
                k += 1
                while k < len(self.tokens) and self.kind(k) != "}":
                    alts.append(k)
                    k, _ = self.music(k, t, replace(v, mute=True))
                after = k + 1
        for n in range(1 if v.mute else count):  # a dry run needs only the extent
            _, t = self.music(body, t, v)
            if alts:
                _, t = self.music(alts[max(0, n - (count - len(alts)))], t, v)
        if kind.text in ("volta", "segno") and count > 1:
            self.repairs.append(
                Repair(STAGE, "repeat-unfolded",
                       f"\\repeat {kind.text} {count}: played {count} times, as performed "
                       "(LilyPond's own MIDI plays it once unless it is unfolded)", offset=at,
                       confidence=0.9)
            )  # fmt: skip
        return after, t

    def context(self, i: int, t: float, v: Voice) -> tuple[int, float]:
        """``\\new Staff [= "name"] [\\with { }] music``: a staff or voice is a voice of its
        own; lyrics, chord names and figures are skipped."""
        ctx = self.tok(i + 1)
        i += 2
        if self.kind(i) == "=":
            i += 2
        if self.kind(i) == "cmd" and self.tokens[i].text == "\\with":
            i = self.skip_block(i + 1)
        name = ctx.text.rstrip(".") if ctx else ""
        if name in SKIPPED_CONTEXTS:
            stop = self.skip_block(i)
            if name != "Lyrics":
                self.unread(i, stop, f"\\new {name}")
            return stop, t
        inner = replace(v, voice=self.new_voice()) if name in VOICE_CONTEXTS else v
        i, end = self.music(i, t, inner)
        if inner is not v:
            v.rel, v.dur = inner.rel, inner.dur
        return i, end

    def grace(self, i: int, t: float, v: Voice) -> tuple[int, float]:
        """Grace notes take no time in the score: read (they lead the octaves on), not
        played, and said."""
        at = self.tokens[i].offset if self.tok(i) else 0
        before = v.dur
        inner = replace(v, mute=True)
        i, _ = self.music(i, t, inner)
        v.rel, v.dur = inner.rel, before
        self.tell(
            "grace",
            Repair(STAGE, "grace-dropped",
                   "grace notes take no time in the score; they were left out of the MIDI",
                   offset=at, confidence=0.9, loss="lost"),
        )  # fmt: skip
        return i, t

    def tempo(self, i: int) -> int:
        """``\\tempo "Allegro" 4 = 120``, ``\\tempo 4. = 60``, ``\\tempo "Lento"``: the first
        metronome mark is the piece's tempo (in quarter notes); a later one is said."""
        if self.kind(i) == "str":
            self.tempo_word = self.tempo_word or self.tokens[i].text.strip('"')
            i += 1
        elif self.kind(i) == "cmd" and self.tokens[i].text == "\\markup":
            i = self.skip_block(i + 1)
        unit, eq, val = self.tok(i), self.tok(i + 1), self.tok(i + 2)
        if not (
            unit and eq and val and unit.kind == "num" and eq.kind == "=" and val.kind == "num"
        ):
            return i
        d = unit.text.rstrip(".")
        bpm = (
            float(val.text.rstrip("."))
            * 4.0
            / max(1, int(d))
            * (2 - 0.5 ** (len(unit.text) - len(d)))
        )
        if self.bpm is None:
            self.bpm = bpm
        elif abs(bpm - self.bpm) > 0.01:
            self.tell(
                "tempo",
                Repair(STAGE, "tempo-change-dropped",
                       f"a later \\tempo ({val.text}) was not kept: the piece plays at one "
                       f"tempo, {self.bpm:g}", offset=unit.offset, confidence=0.8, loss="lost"),
            )  # fmt: skip
        return i + 3

    def top(self) -> tuple[list[int], list[str]]:
        """The top level: variables are noted, \\score blocks and bare music are the piece.
        Returns where the music to play starts, and the names of the variables."""
        starts: list[int] = []
        scores: list[int] = []
        names: list[str] = []
        i = 0
        while i < len(self.tokens):
            tk = self.tokens[i]
            if tk.kind == "note" and self.kind(i + 1) == "=":
                self.variables[tk.text] = i + 2
                names.append(tk.text)
                i, _ = self.music(i + 2, 0.0, Voice(mute=True))
                continue
            if tk.kind == "cmd" and tk.text in ("\\score", "\\book", "\\bookpart"):
                if tk.text == "\\score":
                    scores.append(i + 1)
                i += 1 if tk.text != "\\score" else 0
                if tk.text == "\\score":
                    i, _ = self.music(i + 1, 0.0, Voice(mute=True))
                continue
            if tk.kind in ("{", "<<", "chord") or tk.kind == "cmd":
                start = i
                before = len(self.notes)
                i, _ = self.music(i, 0.0, Voice(mute=True))
                if tk.kind != "cmd" or tk.text[1:] not in SKIP_BLOCK | {"version", "language"}:
                    starts.append(start)
                del self.notes[before:]
                continue
            i += 1
        return (scores or starts), names

    def dry(self) -> None:
        """Undo what the dry runs of :meth:`top` said."""
        self.repairs.clear()
        self.told.clear()
        self.steps = 0
        self.bpm, self.tempo_word = None, ""


def read(text: str) -> Reading:
    """The notes of the LilyPond music in ``text``, with what was repaired or guessed."""
    r = Interpreter(text)
    starts, names = r.top()
    r.dry()
    t = 0.0
    for s in starts:
        _, t = r.music(s, t, Voice())
    if not r.notes and names:
        # no \score and no music outside the variables: each one from the start, together
        for name in names:
            before = len(r.notes)
            r.music(r.variables[name], 0.0, Voice(voice=r.new_voice()))
            if len(r.notes) > before:
                r.tell("vars", Repair(STAGE, "variables-played",
                                      "no \\score says how the music variables go together: "
                                      "each was played from the start, as a voice of its own",
                                      offset=0, confidence=0.6, loss="guessed"))  # fmt: skip
    notes = _tied(r.notes)
    if r.bpm is None and notes:
        word = r.tempo_word.lower().split()[0] if r.tempo_word.strip() else ""
        r.bpm = float(TEMPO_WORDS.get(word, LILYPOND_BPM))
        why = (
            f"guessed from the tempo word '{r.tempo_word}'"
            if word in TEMPO_WORDS
            else "LilyPond's own MIDI default (4 = 60), as no \\tempo gives a metronome mark"
        )
        r.repairs.append(
            Repair(
                STAGE,
                "tempo-default",
                f"tempo {r.bpm:g}: {why}",
                offset=0,
                after=f"{r.bpm:g}",
                confidence=0.5,
                loss="guessed",
            )
        )
    return Reading(notes, r.repairs, r.bpm)


def _tied(raw: list[list[float]]) -> list[Note]:
    """Notes joined over their ties: a tied note and the next of the same pitch in its voice
    that starts where it ends are one note."""
    open_ties: dict[tuple[int, int, float], int] = {}
    keep: list[list[float]] = []
    for n in sorted(raw, key=lambda n: n[0]):
        onset, pitch, length, voice, tie = n
        key = (int(voice), int(pitch), round(onset, 6))
        if key in open_ties:
            held = keep[open_ties.pop(key)]
            held[2] = onset + length - held[0]
            if tie:
                open_ties[(int(voice), int(pitch), round(onset + length, 6))] = keep.index(held)
            continue
        keep.append(list(n))
        if tie:
            open_ties[(int(voice), int(pitch), round(onset + length, 6))] = len(keep) - 1
    return [Note(o, int(p), ln, 80, int(vc)) for o, p, ln, vc, _ in keep]
