"""Analysis: comparing two versions (facts -> findings, word-level diff, lint)."""


def clear_caches() -> None:
    """Forget the per-line memos (normalized lines, word diffs): with
    `watcher.facts.clear_caches()`, what a cold-start benchmark clears before each pair."""
    from watcher.analysis import diff

    diff.normalize_line.cache_clear()
    diff._words.cache_clear()
