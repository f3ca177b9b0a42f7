"""Renderers read a :class:`~midiforensics.report.models.Report` and never change it."""
