"""The Apprise channel: one `[[channel]]` table, any service Apprise speaks (Slack, Teams,
Matrix, ntfy, a JSON webhook ... ~100 of them), addressed by an Apprise URL.

Secrets: the URL in the config may name environment variables as `${VAR}`
(`slack://T0/B0/${SLACK_TOKEN}`); they are expanded only here, just before sending, and the
expanded URL is never stored, logged or shown: the outbox row holds the channel *name* and the
rendered title/body, errors quote the URL as written in the config, and any expanded value that
appears in a message from Apprise is replaced by `***`. Apprise's own log records are kept out of
the program's log (they can quote the URL at DEBUG level); its warnings become our one-line error.
One notification is bounded by `DEADLINE` seconds (a service dripping its answer cannot hold the
daemon's delivery thread).
"""

from __future__ import annotations

import inspect
import json
import logging
import re
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from watcher import render
from watcher.models import Analysis, ChannelSettings, VersionInfo, Watch
from watcher.notify.base import ChannelBase, DeliveryError, Outgoing

if TYPE_CHECKING:
    from watcher.storage.sqlite import OutboxMessage

DEADLINE = 60.0  # seconds for one notification, however slowly the service answers
_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_LOG_LINE = re.compile(r"^\S+ \S+ - (WARNING|ERROR|CRITICAL) - (.*)$")
# Change severity -> Apprise notification type (colour / icon in most services).
_TYPES = {"high": "failure", "medium": "warning"}


def expand(template: str, environ: Mapping[str, str]) -> tuple[str, list[str]]:
    """The URL with `${VAR}` replaced from `environ`, and the values put in (to redact).

    Raises DeliveryError (kind config) naming the first variable that is unset or empty."""
    secrets: list[str] = []

    def put(m: re.Match[str]) -> str:
        name = m.group(1)
        value = environ.get(name)
        if not value:
            state = "is not set" if value is None else "is empty"
            raise DeliveryError(
                f"environment variable {name} (named in the channel URL) {state}",
                permanent=True,
                kind="config",
            )
        secrets.append(value)
        return value

    return _REF.sub(put, template), secrets


class AppriseChannel(ChannelBase):
    """A `[[channel]]`: a short plain-text report per change, sent through Apprise."""

    kind_label = "Apprise"

    def __init__(self, settings: ChannelSettings) -> None:
        self.settings = settings
        self.name = settings.name
        self.min_severity = settings.min_severity
        self.watches = settings.watches
        self.digest = False

    @classmethod
    def from_config(cls, config: Any) -> list[AppriseChannel]:
        return [cls(c) for c in getattr(config, "channels", ())]

    def describe(self) -> str:
        return self.settings.url  # as written: `${VAR}` references, never their values

    def _out(self, kind: str, seed: str, title: str, body: str, kind_type: str) -> Outgoing:
        title = render.one_line(title, render.SUBJECT_MAX)
        payload = {"title": title, "body": render.clean(body), "type": kind_type}
        return Outgoing(
            self.name,
            kind,
            render.make_message_id(f"{seed}-channel-{self.name}"),
            (),
            title,
            json.dumps(payload, ensure_ascii=False).encode("utf-8"),
        )

    def change(
        self,
        watch: Watch,
        change_id: int,
        analysis: Analysis,
        old: VersionInfo,
        new: VersionInfo,
        *,
        now: datetime,
    ) -> Outgoing:
        return self._out(
            "change",
            f"change-{watch.name}-{change_id}-{new.sha256}",
            render.subject(watch.name, analysis),
            render.change_brief(watch.name, watch.url, analysis, old, new),
            _TYPES.get(analysis.max_severity or "", "info"),
        )

    def alert(self, watch: Watch, flip: str, error: str | None, *, now: datetime) -> Outgoing:
        subj, lines = render.alert_lines(watch.name, watch.url, flip, error, now)
        return self._out(
            "alert",
            f"alert-{watch.name}-{flip}-{now.isoformat()}",
            subj,
            "\n".join(lines) + "\n",
            "success" if flip == "recovered" else "failure",
        )

    def test(self, *, now: datetime) -> Outgoing:
        body = (
            f"If you can read this, policy-watcher's channel {self.name!r} works: "
            "change reports will arrive here.\n"
        )
        return self._out(
            "test", f"test-{now.isoformat()}", f"{render.SUBJECT_PREFIX} test message", body, "info"
        )

    def send(
        self, row: OutboxMessage, *, environ: Mapping[str, str], ssl_context: Any = None
    ) -> None:
        import apprise  # imported on first delivery: it is large and most commands never send

        _quiet(logging.getLogger("apprise"))
        url, secrets = expand(self.settings.url, environ)
        _REDACTOR.add(secrets)
        try:
            payload = json.loads(row.message)
            title, body = str(payload["title"]), str(payload["body"])
            kind = str(payload.get("type") or "info")
        except (ValueError, KeyError, TypeError):
            raise DeliveryError(
                f"outbox row {row.id} is not a channel message", permanent=True, kind="data"
            ) from None
        sender = apprise.Apprise()
        with apprise.LogCapture(level=logging.INFO) as captured:
            if not sender.add(url):
                raise DeliveryError(
                    f"Apprise does not understand the URL {self.describe()} "
                    "(unknown service or a malformed URL; see the Apprise wiki for its form)",
                    permanent=True,
                    kind="config",
                )
            ok = sender.notify(
                title=title, body=body, notify_type=kind, body_format="text", **_deadline(sender)
            )
            log_text = captured.getvalue()
        if not ok:
            reasons = [m.group(2) for m in map(_LOG_LINE.match, log_text.splitlines()) if m]
            cause = "; ".join(dict.fromkeys(reasons)) or "the service refused the notification"
            raise DeliveryError(
                _redact(f"{self.describe()}: {cause}", secrets)[:500],
                permanent=False,
                kind="timeout" if "did not finish within" in cause else "connect",
            )


def _deadline(sender: Any) -> dict[str, float]:
    """`timeout=DEADLINE` where this Apprise bounds a whole call (2.x); else its per-request
    connect/read timeouts are the bound."""
    try:
        params = inspect.signature(sender.notify).parameters
    except (TypeError, ValueError):
        return {}
    return {"timeout": DEADLINE} if "timeout" in params else {}


def _redact(text: str, secrets: list[str]) -> str:
    for s in sorted(set(secrets), key=len, reverse=True):
        text = text.replace(s, "***")
    return render.one_line(text)


def _quiet(logger: logging.Logger) -> None:
    """Apprise's records stay out of the program's log (LogCapture still sees them)."""
    logger.propagate = False


class _Redactor(logging.Filter):
    """Replaces expanded channel secrets by *** in log records of Apprise and of the HTTP
    library below it (both log the URL at DEBUG, and a token may sit in its path), whatever
    handlers those loggers carry."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def add(self, secrets: list[str]) -> None:
        self.secrets.update(s for s in secrets if s)
        for name in ("apprise", "urllib3.connectionpool", "urllib3.util.retry", "requests"):
            logger = logging.getLogger(name)
            if self not in logger.filters:
                logger.addFilter(self)

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            text = record.getMessage()
            clean = text
            for s in sorted(self.secrets, key=len, reverse=True):
                clean = clean.replace(s, "***")
            if clean != text:
                record.msg, record.args = clean, ()
        return True


_REDACTOR = _Redactor()
