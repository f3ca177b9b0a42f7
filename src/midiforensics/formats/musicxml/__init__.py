"""MusicXML: finding scores in text, the tolerant reader's repairs, rendering to MIDI."""
