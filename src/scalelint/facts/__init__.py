"""Per-file facts: one extractor per file kind, all returning picklable plain data."""
