"""What the bytes are (HTML, text, PDF, binary) and how to decode them to str."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from watcher.models import ExtractError

_HTML_TYPES = frozenset(
    {"text/html", "application/xhtml+xml", "text/xml", "application/xml", "application/html"}
)
_TEXT_TYPES = frozenset({"text/plain", "text/markdown", "text/x-markdown", "text/x-rst", ""})
_MAGIC = (
    b"\x89PNG",
    b"GIF8",
    b"\xff\xd8\xff",
    b"PK\x03\x04",
    b"\x1f\x8b",
    b"BZh",
    b"\xfd7zXZ",
    b"Rar!",
    b"7z\xbc\xaf",
    b"\x00\x00\x01\x00",
    b"RIFF",
    b"OggS",
    b"ID3",
    b"\x7fELF",
    b"MZ",
    b"wOFF",
    b"wOF2",
    b"\xd0\xcf\x11\xe0",
)
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_HTML_SNIFF = re.compile(
    rb"<(?:!doctype\s+html|html|head|body|title|meta|div|p|h[1-6]|table|script|!--)[\s>/]", re.I
)


def kind_of(body: bytes, ctype: str, url: str | None) -> str:
    head = body[:1024].lstrip()
    if ctype == "application/pdf" or head.startswith(b"%PDF"):
        return "pdf"
    if ctype in _HTML_TYPES or ctype.endswith("+xml"):
        return "html"
    if ctype in _TEXT_TYPES or ctype == "application/octet-stream":
        if _HTML_SNIFF.search(body[:4096]):
            return "html"
        if ctype == "" and url and url.lower().split("?")[0].endswith((".html", ".htm")):
            return "html"
        return "text"
    if ctype.startswith("text/"):
        return "text"
    return "unsupported"


def _bom(body: bytes) -> tuple[str | None, int]:
    for bom, name in _BOMS:
        if body.startswith(bom):
            return name, len(bom)
    return None, 0


def check_binary(body: bytes, label: str) -> None:
    """ExtractError when bytes labelled as text are an image, an archive or other binary data.

    A few stray control bytes (a NUL in a page, as browsers tolerate) do not make a page
    binary; magic numbers or many control bytes do.
    """
    if _bom(body)[0] in ("utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"):
        return
    sample = body[:65536]
    if sample.startswith(_MAGIC):
        raise ExtractError(f"binary content labelled {label}")
    for part in (sample[:8192], sample):
        controls = sum(part.count(bytes([b])) for b in _CONTROL_BYTES)
        if controls > max(8, len(part) // 20):
            raise ExtractError(f"binary content labelled {label}")


_CONTROL_BYTES = tuple(b for b in range(32) if b not in (9, 10, 12, 13, 27)) + (127,)

_CHARSET_ALIASES = {
    "latin1": "windows-1252",
    "latin-1": "windows-1252",
    "l1": "windows-1252",
    "iso-8859-1": "windows-1252",
    "iso8859-1": "windows-1252",
    "iso_8859-1": "windows-1252",
    "iso88591": "windows-1252",
    "cp819": "windows-1252",
    "ascii": "windows-1252",
    "us-ascii": "windows-1252",
    "cp1252": "windows-1252",
    "x-cp1252": "windows-1252",
    "iso-8859-9": "windows-1254",
    "iso-8859-11": "windows-874",
    "tis-620": "windows-874",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "utf8": "utf-8",
    "unicode-1-1-utf-8": "utf-8",
    "x-sjis": "shift_jis",
    "ks_c_5601-1987": "euc-kr",
}
_NICE_NAMES = {
    "utf-8": "utf-8",
    "cp1252": "windows-1252",
    "cp1250": "windows-1250",
    "cp1251": "windows-1251",
    "cp1253": "windows-1253",
    "cp1254": "windows-1254",
    "cp1255": "windows-1255",
    "cp1256": "windows-1256",
    "cp1257": "windows-1257",
    "cp1258": "windows-1258",
    "cp874": "windows-874",
}
_SINGLE_BYTE_LEGACY = frozenset(
    {"cp1252", "cp1250", "cp1251", "cp1253", "cp1254", "cp1257", "latin_1", "iso8859_15"}
)
_META_CHARSET = re.compile(rb"""<meta\b[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_:.+-]+)""", re.I)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9_:.+-]+)""", re.I)


def _codec(name: str | None) -> str | None:
    """A Python codec name for a declared charset label, or None when unknown."""
    if not name:
        return None
    label = name.strip().strip("\"'").lower()
    label = _CHARSET_ALIASES.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def _nice(codec: str) -> str:
    return _NICE_NAMES.get(codec, codec.replace("_", "-"))


def decode(body: bytes, charset: str | None, *, sniff_meta: bool) -> tuple[str, str]:
    bom, skip = _bom(body)
    if bom:
        return body[skip:].decode(bom, errors="replace"), bom
    declared = _codec(charset)
    if declared is None and sniff_meta:
        head = body[:65536]
        m = _XML_ENCODING.match(head) or _META_CHARSET.search(head)
        if m:
            declared = _codec(m.group(1).decode("ascii", "replace"))
    if declared and declared.startswith(("utf_16", "utf_32")):
        declared = "utf-8"  # a UTF-16 label on an 8-bit document (no BOM) means UTF-8
    if declared and declared != "utf-8" and declared not in _SINGLE_BYTE_LEGACY:
        return body.decode(declared, errors="replace"), _nice(declared)
    # UTF-8, a Latin-family label, or nothing: trust the bytes first.
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        if declared in _SINGLE_BYTE_LEGACY and text.isascii():
            return text, _nice(declared)
        return text, "utf-8"
    if declared in _SINGLE_BYTE_LEGACY:
        return body.decode(declared, errors="replace"), _nice(declared)
    loose = body.decode("utf-8", errors="replace")
    bad = loose.count("\ufffd")
    good = sum(1 for ch in loose if ch > "\x7f") - bad if bad < len(loose) else 0
    # Declared UTF-8 with some valid multi-byte characters: a few broken bytes, keep UTF-8.
    # Without a declaration, UTF-8 only when valid characters clearly outnumber broken ones.
    if (declared == "utf-8" and good > 0) or good > 2 * bad:
        return loose, "utf-8"
    return body.decode("cp1252", errors="replace"), "windows-1252"


@dataclass(frozen=True)
class Sniffed:
    """One capture's bytes, told apart and (for HTML and text) decoded."""

    kind: str  # "empty" | "pdf" | "html" | "text"
    body: bytes
    text: str = ""  # decoded, without NULs (html, text)
    encoding: str | None = None


def sniff(body: bytes, content_type: str | None, charset: str | None, url: str | None) -> Sniffed:
    """Kind and text of a capture; ExtractError for unsupported types and binary data."""
    body = bytes(body or b"")
    ctype = (content_type or "").split(";")[0].strip().lower()
    if not body.strip():
        return Sniffed("empty", body)
    kind = kind_of(body, ctype, url)
    if kind == "pdf":
        return Sniffed("pdf", body)
    if kind == "unsupported":
        raise ExtractError(f"unsupported content type {ctype or 'unknown'}")
    check_binary(body, ctype or ("text/plain" if kind == "text" else "text/html"))
    text, encoding = decode(body, charset, sniff_meta=(kind == "html"))
    text = text.replace("\x00", "")  # as browsers do: a stray NUL is not text
    return Sniffed(kind, body, text, encoding)
