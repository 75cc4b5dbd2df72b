"""The plain typed data that travels between stages.

Every stage (fetch, extract, facts, findings, store, report, notify) takes and returns these
dataclasses, never another stage's internals. Nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal

from watcher import DEFAULT_USER_AGENT

Source = Literal["live", "wayback"]
Severity = Literal["high", "medium", "low", "info"]
CheckStatus = Literal["new", "unchanged", "changed", "error", "suspicious"]
ChangeClass = Literal["none", "cosmetic", "minor", "substantive"]

SEVERITY_RANK: dict[str, int] = {"info": 0, "low": 1, "medium": 2, "high": 3}


RENDER_MODES = ("http", "browser", "auto")  # a watch's `render` key


@dataclass(frozen=True)
class Watch:
    """One `[[watch]]` entry of the config."""

    name: str
    url: str
    select: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()
    every: float | None = None  # seconds; None = the [schedule] default
    backfill_since: str | None = None  # "2015", "2015-06" or "2015-06-01"
    email_to: tuple[str, ...] = ()
    verify_tls: bool = True  # an explicit, logged opt-out
    notify: tuple[str, ...] | None = (
        None  # channel names ("email" = [email]); None = default routing
    )
    render: str = "auto"  # "http" | "browser" | "auto" (a JavaScript shell gets the browser)
    expand: bool = False  # open accordions / <details> and scroll before reading (browser)
    allow_private: bool = False  # redirects may go to loopback/private addresses
    enabled: bool = True  # false: paused (`watcher pause`), kept in the config, never checked

    @property
    def wants_browser(self) -> bool:
        return self.render == "browser" or self.expand


@dataclass(frozen=True)
class FetchSettings:
    """The `[fetch]` table."""

    user_agent: str
    timeout: float = 30.0
    max_bytes: int = 10_000_000
    concurrency: int = 8
    per_host_delay: float = 1.0
    retries: int = 2  # extra attempts after a timeout / 5xx
    max_decompressed_bytes: int = 50_000_000
    browser: str | None = None  # path of chromium-headless-shell; None = look in the usual places
    render_concurrency: int = 2  # browser renders at once per process (one costs ~75 checks)


@dataclass
class Capture:
    """What one fetch returned: bytes plus the metadata needed to store and re-derive it."""

    url: str  # final URL after redirects
    requested_url: str
    fetched_at: datetime  # timezone-aware UTC; for wayback, the Memento-Datetime
    source: Source
    status: int  # HTTP status (304 for a conditional-GET "not modified")
    content_type: str  # media type only, lower-case, e.g. "text/html"
    body: bytes
    charset: str | None = None  # from the Content-Type header, if any
    etag: str | None = None
    last_modified: str | None = None
    elapsed: float = 0.0  # seconds
    rendered: bool = False  # the DOM of a headless browser, not the bytes the server sent
    needs_js: bool = False  # a plain fetch of a JavaScript shell (no browser to render it)

    @property
    def not_modified(self) -> bool:
        return self.status == 304


@dataclass
class Document:
    """Clean structured text of one capture.

    `text` is Markdown-like, one block per line: `# heading`, paragraphs, `- item`,
    `| a | b |` table rows. Deterministic for the same input.
    """

    text: str
    title: str | None = None
    language: str | None = None  # e.g. "en", "fr": detected from the text (watcher.language)
    encoding: str | None = None  # the charset actually used to decode
    declared_language: str | None = None  # as the page says (<html lang>, a PDF's /Lang)

    @property
    def words(self) -> int:
        return len(self.text.split())


@dataclass(frozen=True)
class DocumentPart:
    """One document of a page that holds several (see extract.find_documents)."""

    title: str  # its heading, as shown
    topic: str | None  # "privacy" | "cookies" | "terms" | "other"
    words: int
    select: str  # a CSS selector extracting this document alone ("" when none was found)


@dataclass(frozen=True)
class PageDocuments:
    """A page holding several documents (a /legal page with terms, privacy and cookies)."""

    parts: tuple[DocumentPart, ...]
    words: int  # the whole page's text
    suggested: tuple[str, ...]  # `select` for its privacy part(s); () when it has none
    suggested_words: int  # words those selectors extract


@dataclass
class Fact:
    """One thing a policy states, with the sentence it came from.

    `kind` is the family (date, party, contact, location, transfer_mechanism, retention,
    data_category, right, legal_basis, cookie, section, identifier, fee). `key` is the
    normalized identity used to match the same fact across versions (e.g. "sendgrid");
    `value` is what a reader sees (the ISO date, the name as written...).
    """

    kind: str
    key: str
    value: str
    evidence: str = ""
    detail: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Fact:
        return cls(
            kind=d["kind"],
            key=d["key"],
            value=d["value"],
            evidence=d.get("evidence", ""),
            detail=dict(d.get("detail") or {}),
        )


@dataclass
class Finding:
    """One reportable difference (or, for kind "lint", one issue of a single version)."""

    kind: str
    field: str
    old: Any
    new: Any
    severity: Severity
    summary: str
    evidence_old: str | None = None
    evidence_new: str | None = None
    detail: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "kind": self.kind,
            "field": self.field,
            "old": self.old,
            "new": self.new,
            "severity": self.severity,
            "summary": self.summary,
            "evidence": {"old": self.evidence_old, "new": self.evidence_new},
        }
        if self.detail is not None:
            d["detail"] = self.detail
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Finding:
        ev = d.get("evidence") or {}
        return cls(
            kind=d["kind"],
            field=d.get("field", ""),
            old=d.get("old"),
            new=d.get("new"),
            severity=d.get("severity", "info"),
            summary=d.get("summary", ""),
            evidence_old=ev.get("old"),
            evidence_new=ev.get("new"),
            detail=d.get("detail"),
        )


@dataclass
class Hunk:
    """One region of a line diff, with word-level detail for display.

    `tag` is "replace", "delete" or "insert". Line numbers are 1-based. `words` holds
    (op, text) pairs where op is "=", "-" or "+" for a word-level rendering of the region
    (the analysis gives a sequence that computes them the first time it is read: findings
    need only the lines, and a change no report shows never pays for its word diff).
    """

    tag: str
    old_start: int
    old_lines: list[str]
    new_start: int
    new_lines: list[str]
    words: Sequence[tuple[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "tag": self.tag,
            "old_start": self.old_start,
            "old_lines": self.old_lines,
            "new_start": self.new_start,
            "new_lines": self.new_lines,
            "words": [list(w) for w in self.words],
        }


@dataclass
class Analysis:
    """The comparison of two versions: findings first, then the text hunks."""

    changed: bool
    classification: ChangeClass
    summary: str
    findings: list[Finding]
    hunks: list[Hunk]
    words_added: int = 0
    words_removed: int = 0

    @property
    def max_severity(self) -> str | None:
        if not self.findings:
            return None
        return max(self.findings, key=lambda f: SEVERITY_RANK.get(f.severity, 0)).severity

    def to_dict(self) -> dict[str, Any]:
        return {
            "changed": self.changed,
            "classification": self.classification,
            "summary": self.summary,
            "words_added": self.words_added,
            "words_removed": self.words_removed,
            "findings": [f.to_dict() for f in self.findings],
            "hunks": [h.to_dict() for h in self.hunks],
        }


@dataclass
class CheckResult:
    """The outcome of one check of one watch (the `watcher check --json` record)."""

    name: str
    status: CheckStatus
    version: int | None = None
    error: str | None = None
    findings: list[Finding] = field(default_factory=list)
    summary: str | None = None
    duration: float = 0.0
    change_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "version": self.version,
            "error": self.error,
            "findings": [f.to_dict() for f in self.findings],
            "summary": self.summary,
            "duration": round(self.duration, 3),
        }


class WatcherError(Exception):
    """Base for errors that carry a message meant for the user."""


class FetchError(WatcherError):
    """A fetch failed; `kind` is a short machine tag, str(self) a one-line cause.

    kinds: timeout, connect, dns, tls, http (4xx/5xx), too_large, redirect, scheme, rate_limited,
    decode, protocol, blocked (a redirect or request to a private address), browser (rendering).
    """

    def __init__(
        self,
        kind: str,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.status = status
        self.retry_after = retry_after


class ExtractError(WatcherError):
    """The capture could not be turned into text (unsupported type, broken/encrypted PDF...)."""


@dataclass(frozen=True)
class EmailSettings:
    """The `[email]` table. The password is never here: `password_env` names the variable."""

    smtp_host: str
    smtp_port: int = 587
    security: Literal["none", "starttls", "ssl"] = "starttls"
    username: str | None = None
    password_env: str | None = None
    sender: str = "policy-watcher <policy-watcher@localhost>"  # the `from` key
    to: tuple[str, ...] = ()
    min_severity: Severity = "info"  # the safe default: every change that is not cosmetic
    digest: bool = False
    timeout: float = 30.0  # seconds for each network operation
    deadline: float = 120.0  # seconds for one whole delivery (a server may answer slowly)
    allow_plaintext_auth: bool = False  # log in with security = "none" (password in clear)


@dataclass(frozen=True)
class ChannelSettings:
    """One `[[channel]]` table: an Apprise URL; secrets in it are `${VAR}` names, never values."""

    name: str
    url: str  # the template as written, e.g. "json://127.0.0.1:8080/hook?token=${HOOK_TOKEN}"
    min_severity: Severity = "info"  # the safe default: every change that is not cosmetic
    watches: tuple[str, ...] | None = None  # None: every watch without its own `notify`


@dataclass(frozen=True)
class VersionInfo:
    """What reports need to know about a stored version (no text)."""

    id: int
    captured_at: datetime
    source: Source
    sha256: str
    words: int
    n: int = 0  # the watch's own version number (1 = oldest); 0 when not known


@dataclass(frozen=True)
class WaybackSettings:
    """The `[wayback]` table (the User-Agent comes from `[fetch]`)."""

    base_url: str = "https://web.archive.org"
    user_agent: str = DEFAULT_USER_AGENT
    cdx_rate: float = 0.4  # CDX requests per second
    playback_rate: float = 8.0  # playback requests per second
    timeout: float = 30.0
    retries: int = 3  # extra attempts after a timeout / 500 / 502 / 503 / 504
    page_limit: int = 5000  # CDX rows asked for per page (`limit`)
    backoff_base: float = 1.0  # seconds; doubled on each retry
    max_redirects: int = 5  # archived redirect hops followed per capture
    redirect_window: float = 366 * 86400.0  # seconds: how far from the capture a hop may land
    max_bytes: int = 20_000_000  # a larger archived body (decompressed) is skipped
    max_cdx_bytes: int = 100_000_000  # one CDX answer, decompressed: past it, a clear error
    max_cdx_rows: int = 100_000  # distinct captures kept from one listing (runs are folded)
