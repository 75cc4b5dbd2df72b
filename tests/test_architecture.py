"""House rules that keep the stages apart (docs/architecture.md): checked, not just written."""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "watcher"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _modules() -> list[Path]:
    return sorted(p for p in PKG.rglob("*.py") if ".venv" not in p.parts)


def test_only_storage_speaks_sql() -> None:
    offenders = [
        str(p.relative_to(PKG))
        for p in _modules()
        if "sqlite3" in _imports(p) and p.relative_to(PKG).parts[0] != "storage"
    ]
    assert offenders == []


def test_storage_errors_are_store_errors(tmp_path: Path) -> None:
    """A sqlite3 failure leaves the store as StoreError (one line), never as sqlite3.Error."""
    import sqlite3
    from datetime import UTC, datetime

    import pytest

    from watcher.storage.sqlite import Store, StoreError

    s = Store(tmp_path / "w.db", tmp_path / "snap")
    s.ensure_watch("acme", "http://127.0.0.1/", datetime.now(UTC))
    s.conn.execute("DROP TABLE versions_fts")  # sabotage: the FTS insert trigger now fails
    with pytest.raises(StoreError) as exc:
        s.add_version(
            "acme",
            captured_at=datetime.now(UTC),
            source="live",
            text="hello",
            title=None,
            language=None,
            facts=None,
            capture_id=None,
        )
    assert not isinstance(exc.value, sqlite3.Error)
    assert "\n" not in str(exc.value)
    s.close()
