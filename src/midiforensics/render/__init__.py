"""Renderers read a :class:`~midiforensics.models.Report` and never change it."""
