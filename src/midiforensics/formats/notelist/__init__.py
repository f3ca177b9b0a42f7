"""Note lists in prose: runs of note names with octaves or duration words, note-per-line
lists and Markdown tables, as models write them when asked for a melody."""
