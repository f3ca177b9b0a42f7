"""LilyPond as models write it: a static reader for the music in it (never runs lilypond)."""
