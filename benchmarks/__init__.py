"""``make bench``: start-up, keypress, memory, thread and sync figures (see README.md)."""
