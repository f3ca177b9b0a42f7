"""Listening and looking: playback backends, WAV rendering, piano-roll views."""
