"""Music code, read statically: Python that builds MIDI (midiutil, mido, music21,
pretty_midi) and Strudel/Tidal mini-notation. Nothing here ever runs the code."""
