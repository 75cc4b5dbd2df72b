"""PDF -> Document (pypdf), one block per text line."""

from __future__ import annotations

import io

from watcher.extract.limits import LIMITS, Budget, ExtractLimits
from watcher.extract.plain import clean, primary_lang
from watcher.models import Document, ExtractError


def extract_pdf(body: bytes, limits: ExtractLimits = LIMITS) -> Document:
    try:
        from pypdf import PdfReader
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise ExtractError("PDF support needs pypdf") from exc
    try:
        reader = PdfReader(io.BytesIO(body), strict=False)
        if reader.is_encrypted:
            try:
                ok = reader.decrypt("")
            except Exception:
                ok = 0
            if not ok:
                raise ExtractError("encrypted PDF (a password is needed to read it)")
        total = len(reader.pages)
        if total > limits.max_pages:
            raise ExtractError(
                f"PDF too large: {total:,} pages, over {limits.max_pages:,} (limit per capture)"
            )
        budget = Budget(limits, "PDF text")
        pages: list[str] = []
        for n, page in enumerate(reader.pages, 1):
            where = f" by page {n} of {total}"
            budget.check_time(where)
            size = _content_size(page)
            if size > limits.max_page_bytes:
                raise ExtractError(
                    f"PDF too large: page {n} holds {size:,} bytes of content, over "
                    f"{limits.max_page_bytes:,} (limit per capture)"
                )
            pages.append(page.extract_text() or "")
            budget.add(pages[-1], where)
            budget.check_time(where)
        title = None
        try:
            meta = reader.metadata
            if meta is not None and meta.title:
                title = clean(str(meta.title)) or None
        except Exception:
            title = None
        language = None
        try:
            lang = reader.trailer["/Root"].get("/Lang")
            language = primary_lang(str(lang)) if lang else None
        except Exception:
            language = None
    except ExtractError:
        raise
    except Exception as exc:
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ExtractError(f"broken PDF: {msg}") from exc
    lines: list[str] = []
    for page_text in pages:
        for line in page_text.splitlines():
            s = clean(line)
            if s:
                lines.append(s)
    return Document(text="\n".join(lines), title=title, language=language, encoding=None)


def _content_size(page) -> int:  # noqa: ANN001 - a pypdf PageObject
    """Bytes of the page's decoded content stream(s) (pypdf caches the decoded data)."""
    contents = page.get("/Contents")
    if contents is None:
        return 0
    streams = contents if isinstance(contents, list) else [contents]
    total = 0
    for stream in streams:
        obj = stream.get_object()
        if hasattr(obj, "get_data"):
            total += len(obj.get_data())
    return total
