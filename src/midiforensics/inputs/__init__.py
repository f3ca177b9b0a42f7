"""Reading what users bring: files, windows of big files, chat exports."""
