"""Edits to config.toml that keep its comments and layout (tomlkit): add (one or many),
remove, pause/resume, set selectors. Each edit is checked by loading the result before it
atomically replaces the file (mode and group kept), so a broken config is never left behind.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from watcher.config import ConfigError, format_duration, load
from watcher.models import Watch


def _parse(path: Path) -> Any:
    import tomlkit

    load(path)  # validates the existing file first (a clear error naming file, key and line)
    return tomlkit.parse(path.read_text(encoding="utf-8"))


def _write(path: Path, doc: Any) -> None:
    import tomlkit

    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(tomlkit.dumps(doc), encoding="utf-8")
    try:
        st = path.stat()
        os.chmod(tmp, st.st_mode & 0o7777)
        with contextlib.suppress(OSError):
            os.chown(tmp, -1, st.st_gid)  # the service's group keeps its read access
        load(tmp)  # never leave a broken config behind
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _entries(doc: Any) -> list[Any]:
    entries = doc.get("watch")
    return list(entries) if entries is not None else []


def _index(path: Path, doc: Any, name: str) -> int:
    for i, table in enumerate(_entries(doc)):
        if table.get("name") == name:
            return i
    raise ConfigError(f"no watch named {name!r} in {path}")


def _table(watch: Watch) -> Any:
    import tomlkit

    table = tomlkit.table()
    table["name"] = watch.name
    table["url"] = watch.url
    if watch.select:
        table["select"] = list(watch.select)
    if watch.remove:
        table["remove"] = list(watch.remove)
    if watch.every is not None:
        table["every"] = format_duration(watch.every)
    if not watch.enabled:
        table["enabled"] = False
    return table


def add_watches(path: Path, watches: Sequence[Watch]) -> None:
    """Append `[[watch]]` tables (one write; refuses a name that is already taken)."""
    import tomlkit

    doc = _parse(path)
    taken = {str(t.get("name")) for t in _entries(doc)}
    for w in watches:
        if w.name in taken:
            raise ConfigError(f"{path}: a watch named {w.name!r} already exists")
        taken.add(w.name)
    if not watches:
        return
    if "watch" not in doc:
        doc["watch"] = tomlkit.aot()
    for w in watches:
        doc["watch"].append(_table(w))
    _write(path, doc)


def add_watch(path: Path, watch: Watch) -> None:
    """Append one `[[watch]]` to the config file, keeping its comments and layout."""
    add_watches(path, [watch])


def remove_watch(path: Path, name: str) -> None:
    doc = _parse(path)
    i = _index(path, doc, name)
    del doc["watch"][i]
    if not _entries(doc):
        del doc["watch"]
    _write(path, doc)


def set_enabled(path: Path, name: str, enabled: bool) -> bool:
    """Pause (`enabled = false`) or resume a watch; False when it already was so."""
    doc = _parse(path)
    table = doc["watch"][_index(path, doc, name)]
    if bool(table.get("enabled", True)) == enabled:
        return False
    if enabled:
        del table["enabled"]
    else:
        table["enabled"] = False
    _write(path, doc)
    return True


def set_selectors(path: Path, name: str, select: Sequence[str], remove: Sequence[str]) -> None:
    """Write a watch's `select` and `remove` (an empty list drops the key)."""
    doc = _parse(path)
    table = doc["watch"][_index(path, doc, name)]
    for key, values in (("select", select), ("remove", remove)):
        if values:
            table[key] = list(values)
        elif key in table:
            del table[key]
    _write(path, doc)
