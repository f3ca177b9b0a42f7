"""One module per format. Each offers ``find_*`` (where the format sits in some data) and
``repair_*`` (make it playable, recording every change). See :mod:`.base` for the shared
result types."""
