"""Standard MIDI Files: carving extents out of bytes, the tolerant event walker, repair."""
