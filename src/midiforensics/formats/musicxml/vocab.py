"""The MusicXML 4.0 element vocabulary, and which elements a few key parents hold.

Used to map misspelt element names back to real ones: by spelling (edit distance) and by
context (what the parent may hold, and what the element's own children are).
"""

from __future__ import annotations

_NAMES = """
score-partwise score-timewise part-list score-part part-name part-abbreviation part-group
part measure movement-title movement-number work work-title work-number opus identification
creator rights encoding software encoding-date encoder supports encoding-description source
relation miscellaneous miscellaneous-field defaults scaling millimeters tenths page-layout
page-height page-width page-margins left-margin right-margin top-margin bottom-margin
system-layout system-margins system-distance top-system-distance staff-layout staff-distance
appearance line-width note-size distance glyph other-appearance music-font word-font
lyric-font lyric-language credit credit-type credit-words credit-symbol credit-image
part-name-display part-abbreviation-display display-text accidental-text score-instrument
instrument-name instrument-abbreviation instrument-sound solo ensemble virtual-instrument
virtual-library virtual-name midi-device midi-instrument midi-channel midi-name midi-bank
midi-program midi-unpitched volume pan elevation group-name group-name-display
group-abbreviation group-abbreviation-display group-symbol group-barline group-time player
player-name instrument-link group-link
attributes divisions key cancel fifths mode key-step key-alter key-accidental key-octave
time beats beat-type interchangeable time-relation senza-misura staves part-symbol
instruments clef sign line clef-octave-change staff-details staff-type staff-lines
staff-tuning tuning-step tuning-alter tuning-octave capo staff-size transpose diatonic
chromatic octave-change double directive measure-style multiple-rest measure-repeat
beat-repeat slash slash-type slash-dot except-voice for-part part-clef part-transpose
note grace chord pitch step alter octave unpitched display-step display-octave rest
duration tie cue instrument voice type dot accidental time-modification actual-notes
normal-notes normal-type normal-dot stem notehead notehead-text staff beam notations lyric
play listen footnote level editorial-voice
tied slur tuplet tuplet-actual tuplet-normal tuplet-number tuplet-type tuplet-dot glissando
slide ornaments trill-mark turn delayed-turn inverted-turn delayed-inverted-turn
vertical-turn inverted-vertical-turn shake wavy-line mordent inverted-mordent schleifer
tremolo haydn other-ornament accidental-mark technical up-bow down-bow harmonic natural
artificial base-pitch touching-pitch sounding-pitch open-string thumb-position fingering
pluck double-tongue triple-tongue stopped snap-pizzicato fret string hammer-on pull-off bend
bend-alter pre-bend release with-bar tap heel toe fingernails hole hole-type hole-closed
hole-shape arrow arrow-direction arrow-style circular-arrow handbell brass-bend flip smear
open half-muted harmon-mute harmon-closed golpe other-technical articulations accent
strong-accent staccato tenuto detached-legato staccatissimo spiccato scoop plop doit falloff
breath-mark caesura stress unstress soft-accent other-articulation dynamics p pp ppp pppp
ppppp pppppp f ff fff ffff fffff ffffff mp mf sf sfp sfpp fp rf rfz sfz sffz fz n pf sfzp
other-dynamics fermata arpeggiate non-arpeggiate other-notation
syllabic text elision extend laughing humming end-line end-paragraph
backup forward direction direction-type rehearsal segno coda words symbol wedge dashes
bracket pedal metronome beat-unit beat-unit-dot beat-unit-tied per-minute metronome-arrows
metronome-note metronome-type metronome-dot metronome-beam metronome-tied metronome-tuplet
metronome-relation octave-shift harp-pedals pedal-tuning pedal-step pedal-alter damp
damp-all eyeglasses string-mute scordatura accord image principal-voice percussion glass
metal wood pitched membrane effect timpani beater stick stick-type stick-material
stick-location other-percussion accordion-registration accordion-high accordion-middle
accordion-low staff-divide other-direction offset sound swing straight first second
swing-type swing-style instrument-change midi-instrument
harmony root root-step root-alter numeral numeral-root numeral-alter numeral-key
numeral-fifths numeral-mode function kind inversion bass bass-separator bass-step
bass-alter degree degree-value degree-alter degree-type frame frame-strings frame-frets
first-fret frame-note barre figured-bass figure prefix figure-number suffix print
measure-layout measure-distance measure-numbering sound barline bar-style repeat ending
grouping feature link bookmark listening sync other-listening assess wait other-play
ipa mute semi-pitched other-play
"""

VOCAB: frozenset[str] = frozenset(_NAMES.split())

ROOTS = ("score-partwise", "score-timewise")

# what a parent may hold (only the parents whose children we reason about)
CHILDREN: dict[str, frozenset[str]] = {
    k: frozenset(v.split())
    for k, v in {
        "score-partwise": "work movement-number movement-title identification defaults credit "
        "part-list part",
        "score-timewise": "work movement-number movement-title identification defaults credit "
        "part-list measure",
        "part-list": "part-group score-part",
        "score-part": "identification part-link part-name part-name-display part-abbreviation "
        "part-abbreviation-display group score-instrument player midi-device midi-instrument",
        "part": "measure",
        "measure": "note backup forward direction attributes harmony figured-bass print sound "
        "listening barline grouping link bookmark part",
        "attributes": "footnote level divisions key time staves part-symbol instruments clef "
        "staff-details transpose for-part directive measure-style",
        "key": "cancel fifths mode key-step key-alter key-accidental key-octave",
        "time": "beats beat-type interchangeable senza-misura",
        "clef": "sign line clef-octave-change",
        "note": "grace chord pitch unpitched rest duration tie cue instrument footnote level "
        "voice type dot accidental time-modification stem notehead notehead-text staff beam "
        "notations lyric play listen",
        "pitch": "step alter octave",
        "unpitched": "display-step display-octave",
        "rest": "display-step display-octave",
        "backup": "duration footnote level",
        "forward": "duration footnote level voice staff",
        "direction": "direction-type offset footnote level voice staff sound listening",
        "direction-type": "rehearsal segno coda words symbol wedge dynamics dashes bracket pedal "
        "metronome octave-shift harp-pedals damp damp-all eyeglasses string-mute scordatura "
        "image principal-voice percussion accordion-registration staff-divide other-direction",
        "metronome": "beat-unit beat-unit-dot beat-unit-tied per-minute metronome-arrows "
        "metronome-note metronome-relation",
        "notations": "footnote level tied slur tuplet glissando slide ornaments technical "
        "articulations dynamics fermata arpeggiate non-arpeggiate accidental-mark "
        "other-notation",
        "time-modification": "actual-notes normal-notes normal-type normal-dot",
        "lyric": "syllabic text elision extend laughing humming end-line end-paragraph "
        "footnote level",
        "barline": "bar-style footnote level wavy-line segno coda fermata ending repeat",
        "work": "work-number work-title opus",
        "identification": "creator rights encoding source relation miscellaneous",
        "encoding": "encoding-date encoder software encoding-description supports",
    }.items()
}

# elements a note-level reader needs whole; when cut at the end of the text they are dropped
REQUIRED: dict[str, tuple[tuple[str, ...], ...]] = {
    "pitch": (("step",), ("octave",)),
    "time": (("beats", "senza-misura"),),
    "key": (("fifths", "key-step"),),
    "clef": (("sign",),),
    "note": (("pitch", "rest", "unpitched"),),
}

# elements whose value is text a cut could shorten (a "12" cut to "1")
LEAVES = frozenset(
    [
        "step",
        "alter",
        "octave",
        "duration",
        "divisions",
        "fifths",
        "beats",
        "beat-type",
        "type",
        "sign",
        "line",
        "per-minute",
        "beat-unit",
        "display-step",
        "display-octave",
        "actual-notes",
        "normal-notes",
        "voice",
        "staff",
    ]
)

NOTE_TYPES = {
    "maxima": 32.0,
    "long": 16.0,
    "breve": 8.0,
    "whole": 4.0,
    "half": 2.0,
    "quarter": 1.0,
    "eighth": 0.5,
    "16th": 0.25,
    "32nd": 0.125,
    "64th": 0.0625,
    "128th": 0.03125,
    "256th": 0.015625,
    "512th": 0.0078125,
    "1024th": 0.00390625,
}
