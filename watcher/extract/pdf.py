"""PDF -> Document (pypdf), one block per text line."""

from __future__ import annotations

import io

from watcher.extract.plain import clean, primary_lang
from watcher.models import Document, ExtractError


def extract_pdf(body: bytes) -> Document:
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
        pages: list[str] = []
        for page in reader.pages:
            pages.append(page.extract_text() or "")
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
