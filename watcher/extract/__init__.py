"""Extract: raw capture bytes -> clean structured text (a Document)."""

from watcher.extract.core import check_selector, extract

__all__ = ["check_selector", "extract"]
