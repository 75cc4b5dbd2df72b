"""Watch lists people already curate, turned into watches: urlwatch's `urls.yaml` and Open
Terms Archive declaration files. Pure: text in, `ImportResult` out (the CLI writes the config).

The format is detected from the content, not the file name. What maps: the URL, CSS
selectors (`css:`, `element-by-id:`, `element-by-class:`, `element-by-tag:` filters and
`exclude`; OTA `select`/`remove` strings), the check interval where one is given. What does
not (xpath and text filters, OTA range selectors and filter functions, shell-command jobs,
documents combined from several pages, client-side scripts) is listed on the watch as a note,
or the entry is skipped with the reason: nothing is dropped silently.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from watcher.models import Watch


class ImportFormatError(ValueError):
    """The file is neither format (one line naming the file and why)."""


@dataclass
class Imported:
    watch: Watch
    origin: str  # "urlwatch job 3 'Example privacy'" / "OTA 'Acme' / 'Privacy Policy'"
    notes: list[str] = field(default_factory=list)  # what could not be mapped


@dataclass
class ImportResult:
    format: str  # "urlwatch" | "opentermsarchive"
    watches: list[Imported] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "origin: reason"


def parse(text: str, filename: str = "<file>") -> ImportResult:
    """Detect the format of `text` and map its entries (names are slugs, not yet deduplicated
    against a config: see `unique_names`)."""
    stripped = text.lstrip()
    if stripped.startswith("{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise ImportFormatError(f"{filename}: invalid JSON: {e}") from None
        if isinstance(data, dict) and isinstance(data.get("documents"), dict):
            return _ota(data, filename)
        raise ImportFormatError(
            f"{filename}: JSON without a 'documents' table is not an Open Terms Archive declaration"
        )
    import yaml

    try:
        docs = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as e:
        where = getattr(e, "problem_mark", None)
        line = f" (line {where.line + 1})" if where is not None else ""
        raise ImportFormatError(f"{filename}: invalid YAML{line}: {_first_line(e)}") from None
    if (
        docs
        and all(isinstance(d, dict) for d in docs)
        and any(k in d for d in docs for k in ("url", "navigate", "command"))
    ):
        return _urlwatch(docs)
    raise ImportFormatError(
        f"{filename}: not a urlwatch urls.yaml (YAML documents with url:) nor an Open Terms "
        "Archive declaration (JSON with documents)"
    )


# -- urlwatch -------------------------------------------------------------------------------
_URLWATCH_IGNORED = {
    "name",
    "url",
    "navigate",
    "kind",
    "filter",
    "max_tries",
    "treat_new_as_changed",
}


def _urlwatch(docs: list[dict[str, Any]]) -> ImportResult:
    result = ImportResult("urlwatch")
    for i, job in enumerate(docs, 1):
        title = str(job.get("name") or "")
        origin = f"urlwatch job {i}" + (f" {title!r}" if title else "")
        url = job.get("url") or job.get("navigate")
        if "command" in job and not url:
            result.skipped.append(f"{origin}: a shell-command job (only web pages can be watched)")
            continue
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            result.skipped.append(f"{origin}: {url!r} is not an http(s) URL")
            continue
        notes: list[str] = []
        select: list[str] = []
        remove: list[str] = []
        for f in _filters(job.get("filter"), notes):
            _map_filter(f, select, remove, notes)
        if "navigate" in job or job.get("use_browser"):
            notes.append("rendered in a browser by urlwatch (navigate/use_browser)")
        for key in sorted(set(job) - _URLWATCH_IGNORED - {"use_browser", "command"}):
            notes.append(f"{key}: {_short(job[key])} (no equivalent)")
        name = slug(title) or slug_from_url(url)
        result.watches.append(
            Imported(
                Watch(name=name, url=url, select=tuple(select), remove=tuple(remove)), origin, notes
            )
        )
    return result


def _filters(spec: Any, notes: list[str]) -> list[tuple[str, Any]]:
    """urlwatch filters as (name, argument) pairs: "css:main,html2text", a list of strings,
    or a list of {name: argument} tables."""
    if spec is None:
        return []
    items = spec if isinstance(spec, list) else [spec]
    out: list[tuple[str, Any]] = []
    for item in items:
        if isinstance(item, str):
            # the legacy comma-separated string; a selector may itself hold commas only in the
            # list form, which is the form urlwatch recommends for anything non-trivial
            parts = item.split(",") if not isinstance(spec, list) else [item]
            for part in parts:
                name, _, arg = part.strip().partition(":")
                out.append((name.strip(), arg.strip() or None))
        elif isinstance(item, dict):
            for name, arg in item.items():
                out.append((str(name), arg))
        else:
            notes.append(f"filter {_short(item)} (not understood)")
    return out


_TEXT_FILTERS = {"html2text", "strip", "remove-duplicate-lines", "beautify", "pretty-xml"}


def _map_filter(f: tuple[str, Any], select: list[str], remove: list[str], notes: list[str]) -> None:
    name, arg = f
    if name in _TEXT_FILTERS:
        return  # policy-watcher always turns the page into clean text
    if name in ("css", "element-by-id", "element-by-class", "element-by-tag"):
        selector, exclude = arg, None
        if isinstance(arg, dict):
            selector, exclude = arg.get("selector"), arg.get("exclude")
            for key in sorted(set(arg) - {"selector", "exclude", "method"}):
                notes.append(f"{name} {key}: {_short(arg[key])} (no equivalent)")
        if not isinstance(selector, str) or not selector:
            notes.append(f"filter {name} without a selector")
            return
        prefix = {"element-by-id": "#", "element-by-class": ".", "element-by-tag": ""}.get(name, "")
        select.append(prefix + selector if prefix else selector)
        if isinstance(exclude, str) and exclude:
            remove.append(exclude)
        return
    notes.append(
        f"filter {name}" + (f": {_short(arg)}" if arg is not None else "") + " (no equivalent)"
    )


# -- Open Terms Archive ---------------------------------------------------------------------
def _ota(data: dict[str, Any], filename: str) -> ImportResult:
    result = ImportResult("opentermsarchive")
    service = str(data.get("name") or filename.rsplit("/", 1)[-1].removesuffix(".json"))
    for doc_type, decl in data["documents"].items():
        origin = f"OTA {service!r} / {doc_type!r}"
        if not isinstance(decl, dict):
            result.skipped.append(f"{origin}: not a table")
            continue
        notes: list[str] = []
        url = decl.get("fetch")
        if "combine" in decl:
            parts = [p.get("fetch") for p in decl["combine"] if isinstance(p, dict)]
            if not url and parts:
                url = parts[0]
            notes.append(f"combine: the document is {len(parts)} pages; only {url} is watched")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            result.skipped.append(f"{origin}: fetch {url!r} is not an http(s) URL")
            continue
        select = _ota_selectors(decl.get("select"), "select", notes)
        remove = _ota_selectors(decl.get("remove"), "remove", notes)
        if decl.get("filter"):
            notes.append(f"filter: {_short(decl['filter'])} (no equivalent)")
        if decl.get("executeClientScripts"):
            notes.append("executeClientScripts: rendered in a browser by Open Terms Archive")
        for key in sorted(
            set(decl) - {"fetch", "select", "remove", "filter", "combine", "executeClientScripts"}
        ):
            notes.append(f"{key}: {_short(decl[key])} (no equivalent)")
        name = slug(f"{service} {doc_type}")
        result.watches.append(
            Imported(
                Watch(name=name, url=url, select=tuple(select), remove=tuple(remove)), origin, notes
            )
        )
    return result


def _ota_selectors(spec: Any, key: str, notes: list[str]) -> list[str]:
    """OTA selectors are a CSS string, a list, or range objects (startBefore/endBefore...)."""
    if spec is None:
        return []
    out = []
    for item in spec if isinstance(spec, list) else [spec]:
        if isinstance(item, str) and item.strip():
            out.append(item.strip())
        else:
            notes.append(f"{key}: range selector {_short(item)} (no equivalent)")
    return out


# -- names ----------------------------------------------------------------------------------
def slug(text: str) -> str:
    """A watch name from free text: lower case, runs of anything else as one '-'."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60].strip("-")


def slug_from_url(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    host = (parts.hostname or "").removeprefix("www.")
    return slug(f"{host} {parts.path}") or "watch"


def unique_names(imported: list[Imported], taken: set[str]) -> None:
    """Rename in place so no name collides with `taken` or another import (acme, acme-2...)."""
    used = set(taken)
    for item in imported:
        base = item.watch.name or "watch"
        name, n = base, 2
        while name in used:
            name, n = f"{base}-{n}", n + 1
        used.add(name)
        if name != item.watch.name:
            from dataclasses import replace

            item.watch = replace(item.watch, name=name)


def _short(value: Any, limit: int = 80) -> str:
    s = json.dumps(value, ensure_ascii=False, default=str) if not isinstance(value, str) else value
    return s if len(s) <= limit else s[: limit - 1] + "…"


def _first_line(e: Exception) -> str:
    return str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
