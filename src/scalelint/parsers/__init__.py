"""One parser per file format; each returns plain data with line numbers, never a crash."""
