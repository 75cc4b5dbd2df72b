"""Analysis: comparing two versions (facts -> findings, word-level diff, lint)."""
