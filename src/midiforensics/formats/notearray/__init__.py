"""Note arrays: JSON, Python/JS literals and CSV rows of notes, as models write them when
asked for music (``[{"note": "C4", "start": 0, "duration": 1}, ...]``)."""
