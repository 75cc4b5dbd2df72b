"""E-mail messages (pure): MIME multipart/alternative (text + HTML) built from the text and
HTML renderers; deterministic Message-IDs. The caller passes `now` and `message_id`.
"""

from __future__ import annotations

import email.policy
import hashlib
import html
import re
from collections.abc import Sequence
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

from watcher.models import Analysis, EmailSettings, VersionInfo
from watcher.render.common import (
    CHANGE_BUDGETS,
    DIGEST_BUDGETS,
    MAX_MESSAGE_BYTES,
    PRODUCT,
    SUBJECT_MAX,
    SUBJECT_PREFIX,
    DigestItem,
    one_line,
    utc,
    when,
)
from watcher.render.html import _FOOTER, _S_META, _html_page, change_html, digest_html
from watcher.render.text import alert_lines, change_text, digest_subject, digest_text, subject


def make_message_id(seed: str, domain: str = "policy-watcher.local") -> str:
    """A deterministic Message-ID for `seed` (e.g. "change-42-to-alice@example.org")."""
    digest = hashlib.sha256(seed.encode("utf-8")).hexdigest()[:32]
    dom = re.sub(r"[^A-Za-z0-9.-]", "", domain) or "policy-watcher.local"
    return f"<{digest}@{dom}>"


# Bodies are encoded 7-bit (quoted-printable, 76-column lines) so the stored bytes are plain
# ASCII and survive any relay. Headers are serialized with RFC 5322's hard limit: with the
# default 78 the stdlib moves a 70-78 character subject onto a continuation line, which readers
# then see with a leading space.
_BODY_POLICY = email.policy.default.clone(cte_type="7bit")
_POLICY = _BODY_POLICY.clone(max_line_length=998)


def _base_message(
    settings: EmailSettings, to: Sequence[str], subj: str, *, now: datetime, message_id: str
) -> EmailMessage:
    recipients = [one_line(a) for a in to if one_line(a)]
    if not recipients:
        raise ValueError("no recipients for the e-mail")
    msg = EmailMessage(policy=_BODY_POLICY)
    msg["From"] = one_line(settings.sender)
    msg["To"] = ", ".join(recipients)
    msg["Subject"] = one_line(subj)
    msg["Date"] = format_datetime(utc(now))
    mid = one_line(message_id)
    msg["Message-ID"] = mid if mid.startswith("<") else f"<{mid}>"
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies, please
    msg["X-Mailer"] = PRODUCT
    return msg


def _fill(msg: EmailMessage, text: str, html_body: str) -> EmailMessage:
    msg.set_content(text, cte="quoted-printable")
    msg.add_alternative(html_body, subtype="html", cte="quoted-printable")
    msg.policy = _POLICY  # bodies are encoded; now only header serialization is affected
    return msg


def build_change_email(
    settings: EmailSettings,
    to: Sequence[str],
    watch: str,
    url: str,
    analysis: Analysis,
    old: VersionInfo,
    new: VersionInfo,
    *,
    now: datetime,
    message_id: str,
) -> EmailMessage:
    """multipart/alternative (text + HTML) report of one change, at most MAX_MESSAGE_BYTES:
    the largest budget (findings listed, diff shown) that fits."""
    msg = None
    for budget in CHANGE_BUDGETS:
        msg = _base_message(settings, to, subject(watch, analysis), now=now, message_id=message_id)
        _fill(
            msg,
            change_text(watch, url, analysis, old, new, budget=budget),
            change_html(watch, url, analysis, old, new, budget=budget),
        )
        if len(msg.as_bytes()) <= MAX_MESSAGE_BYTES:
            break
    assert msg is not None
    return msg


def build_digest_email(
    settings: EmailSettings,
    to: Sequence[str],
    items: Sequence[DigestItem],
    *,
    now: datetime,
    message_id: str,
    period_label: str,
) -> EmailMessage:
    """One message listing several changes, most severe first, at most MAX_MESSAGE_BYTES."""
    msg = None
    for budget in DIGEST_BUDGETS:
        msg = _base_message(
            settings, to, digest_subject(items, period_label), now=now, message_id=message_id
        )
        _fill(
            msg,
            digest_text(items, period_label, budget=budget),
            digest_html(items, period_label, budget=budget),
        )
        if len(msg.as_bytes()) <= MAX_MESSAGE_BYTES:
            break
    assert msg is not None
    return msg


def build_test_email(
    settings: EmailSettings, to: Sequence[str], *, now: datetime, message_id: str
) -> EmailMessage:
    """The `watcher test-email` message: proves the SMTP settings work."""
    where = f"{one_line(settings.smtp_host)}:{settings.smtp_port} (security: {settings.security})"
    text = (
        "This is a test message from policy-watcher.\n\n"
        "If you can read it, e-mail delivery works: change reports will arrive like this.\n\n"
        f"Sent {when(now)} via {where}"
        + (f" as {one_line(settings.username)}" if settings.username else "")
        + ".\n"
    )
    body = (
        '<h1 style="font-size:20px;margin:0 0 12px 0">policy-watcher test message</h1>'
        "<p>If you can read this, e-mail delivery works: change reports will arrive like this.</p>"
        f'<p style="{_S_META}">Sent {html.escape(when(now))} via {html.escape(where)}'
        + (f" as {html.escape(one_line(settings.username))}" if settings.username else "")
        + ".</p>"
    )
    msg = _base_message(
        settings, to, f"{SUBJECT_PREFIX} test message", now=now, message_id=message_id
    )
    return _fill(msg, text, _html_page("policy-watcher test message", body, _FOOTER))


def build_alert_email(
    settings: EmailSettings,
    to: Sequence[str],
    watch: str,
    url: str,
    flip: str,
    error: str | None,
    *,
    now: datetime,
    message_id: str,
) -> EmailMessage:
    """A watch started failing (`flip="failing"`) or recovered (`flip="recovered"`)."""
    subj, lines = alert_lines(watch, url, flip, error, now)
    text = "\n".join(lines) + "\n"
    e = html.escape
    body = f'<h1 style="font-size:20px;margin:0 0 12px 0">{e(one_line(subj))}</h1>' + "".join(
        f"<p>{e(ln)}</p>" for ln in lines if ln
    )
    msg = _base_message(settings, to, one_line(subj, SUBJECT_MAX), now=now, message_id=message_id)
    return _fill(msg, text, _html_page(one_line(subj), body, _FOOTER))
