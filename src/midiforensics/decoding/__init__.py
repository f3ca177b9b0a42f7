"""Decode a located run into bytes: strict first, then the tolerant base64 frame search."""
