"""config.toml -> typed Config. Every error names the key (and line where we can find it)."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from watcher import DEFAULT_USER_AGENT
from watcher.models import (
    RENDER_MODES,
    ChannelSettings,
    EmailSettings,
    FetchSettings,
    Watch,
    WatcherError,
    WaybackSettings,
)
from watcher.wayback.cdx import parse_since

DEFAULT_CONFIG = "config.toml"
NAME_RE = re.compile(r"\A[a-z0-9_-]+\Z")  # \Z: no trailing newline
_DURATION_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
SEVERITIES = ("info", "low", "medium", "high")
MAX_DURATION = 3650 * 86400.0  # ten years: longer "durations" are typos that break schedulers
# Upper bounds for numbers whose absurd values stall the program (a timeout of 1e300 s is as
# good as none); each is far above any sensible setting.
_MAXIMA = {"timeout": 86400.0, "smtp_port": 65535, "concurrency": 1024}


class ConfigError(WatcherError):
    """A config problem; str() is one line naming the file, key and line."""


@dataclass(frozen=True)
class Config:
    path: Path
    database: Path
    snapshots: Path
    fetch: FetchSettings
    every: float  # seconds
    jitter: float
    watches: tuple[Watch, ...]
    email: EmailSettings | None = None
    wayback: WaybackSettings = field(default_factory=WaybackSettings)
    failure_threshold: int = 3  # consecutive errors before a watch is reported failing
    channels: tuple[ChannelSettings, ...] = ()  # the [[channel]] tables
    paused: tuple[Watch, ...] = ()  # `enabled = false`: kept in the file, never scheduled

    def watch(self, name: str) -> Watch:
        for w in self.watches:
            if w.name == name:
                return w
        known = ", ".join(w.name for w in self.watches) or "none"
        raise ConfigError(f"no watch named {name!r} in {self.path} (watches: {known})")

    def interval(self, watch: Watch) -> float:
        return watch.every if watch.every is not None else self.every


def parse_duration(value: Any, key: str = "duration") -> float:
    """'30s', '15m', '12h', '1d', '1w' -> seconds. Numbers are taken as seconds."""
    if isinstance(value, bool):
        raise ValueError(f"{key}: expected a duration like '12h', got {value!r}")
    if isinstance(value, int | float):
        if not value > 0 or value > MAX_DURATION:  # `not >` also refuses nan
            raise ValueError(
                f"{key}: must be a positive number of seconds up to ten years, got {value!r}"
            )
        return float(value)
    if isinstance(value, str):
        m = _DURATION_RE.match(value)
        if m:
            seconds = float(m.group(1)) * _UNITS[m.group(2)]
            if seconds > MAX_DURATION:
                raise ValueError(f"{key}: {value!r} is longer than ten years")
            if seconds > 0:
                return seconds
    raise ValueError(
        f"{key}: {value!r} is not a duration; use a number and a unit: 30s, 15m, 12h, 1d, 1w"
    )


def resolve_path(explicit: str | os.PathLike[str] | None) -> Path:
    """--config, else $WATCHER_CONFIG, else ./config.toml."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("WATCHER_CONFIG")
    return Path(env) if env else Path(DEFAULT_CONFIG)


def load(path: str | os.PathLike[str]) -> Config:
    p = Path(path)
    try:
        source = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"config file {p} not found; create one with `watcher init {p}` or pass --config PATH"
        ) from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"cannot read config file {p}: {e}") from None
    try:
        raw = tomllib.loads(source)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{p}: invalid TOML: {e}") from None
    except RecursionError:
        raise ConfigError(f"{p}: invalid TOML: arrays or tables nested too deeply") from None
    return _Parser(p, source).parse(raw)


class _Parser:
    def __init__(self, path: Path, source: str) -> None:
        self.path = path
        self.lines = source.splitlines()

    # -- error helpers ---------------------------------------------------------------------
    def _line(self, key: str, table: str | None = None, index: int | None = None) -> int | None:
        """Best-effort line number of `key` inside [table] or the index-th [[table]]."""
        start = 0
        if table is not None:
            header = re.compile(
                rf"^\s*\[\[\s*{re.escape(table)}\s*\]\]"
                if index is not None
                else rf"^\s*\[\s*{re.escape(table)}\s*\]"
            )
            seen = -1
            for i, line in enumerate(self.lines):
                if header.match(line):
                    seen += 1
                    if index is None or seen == index:
                        start = i
                        break
            else:
                return None
        key_re = re.compile(rf"^\s*{re.escape(key)}\s*=")
        for i in range(start, len(self.lines)):
            if i > start and table is not None and self.lines[i].lstrip().startswith("["):
                break
            if key_re.match(self.lines[i]):
                return i + 1
        return start + 1 if table is not None else None

    def fail(self, dotted: str, message: str, line: int | None) -> ConfigError:
        where = f"{self.path}:{line}" if line else str(self.path)
        return ConfigError(f"{where}: {dotted}: {message}")

    def _table(self, raw: dict[str, Any], name: str) -> dict[str, Any]:
        value = raw.get(name, {})
        if not isinstance(value, dict):
            raise self.fail(name, "must be a table like [" + name + "]", self._line(name))
        return value

    def _unknown(self, values: dict[str, Any], allowed: set[str], prefix: str, **loc: Any) -> None:
        for key in values:
            if key not in allowed:
                hint = ", ".join(sorted(allowed))
                raise self.fail(
                    f"{prefix}.{key}" if prefix else key,
                    f"unknown key (known keys: {hint})",
                    self._line(key, **loc),
                )

    def _get(
        self,
        values: dict[str, Any],
        key: str,
        typ: type | tuple[type, ...],
        default: Any,
        prefix: str,
        **loc: Any,
    ) -> Any:
        if key not in values:
            return default
        value = values[key]
        types = typ if isinstance(typ, tuple) else (typ,)
        ok = isinstance(value, types) and not (isinstance(value, bool) and bool not in types)
        if not ok:
            names = " or ".join(
                t.__name__.replace("str", "string").replace("float", "number") for t in types
            )
            raise self.fail(
                f"{prefix}.{key}", f"expected {names}, got {value!r}", self._line(key, **loc)
            )
        return value

    def _duration(
        self, values: dict[str, Any], key: str, default: float, prefix: str, **loc: Any
    ) -> float:
        if key not in values:
            return default
        try:
            return parse_duration(values[key], key)
        except ValueError as e:
            msg = str(e).split(": ", 1)[-1]
            raise self.fail(f"{prefix}.{key}", msg, self._line(key, **loc)) from None

    def _str_list(
        self, values: dict[str, Any], key: str, prefix: str, **loc: Any
    ) -> tuple[str, ...]:
        value = values.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(f"{prefix}.{key}", "expected a list of strings", self._line(key, **loc))
        return tuple(value)

    # -- the tables ------------------------------------------------------------------------
    def parse(self, raw: dict[str, Any]) -> Config:
        self._unknown(
            raw,
            {"storage", "fetch", "schedule", "watch", "email", "wayback", "daemon", "channel"},
            "",
        )
        base = self.path.parent

        storage = self._table(raw, "storage")
        loc = {"table": "storage"}
        self._unknown(storage, {"database", "snapshots"}, "storage", **loc)
        database = base / self._get(storage, "database", str, "watcher.db", "storage", **loc)
        snapshots = base / self._get(storage, "snapshots", str, "snapshots", "storage", **loc)

        f = self._table(raw, "fetch")
        loc = {"table": "fetch"}
        self._unknown(
            f,
            {
                "user_agent",
                "timeout",
                "max_bytes",
                "concurrency",
                "per_host_delay",
                "retries",
                "browser",
                "render_concurrency",
            },
            "fetch",
            **loc,
        )
        fetch = FetchSettings(
            user_agent=self._get(f, "user_agent", str, DEFAULT_USER_AGENT, "fetch", **loc),
            timeout=float(self._positive(f, "timeout", 30.0, "fetch", **loc)),
            max_bytes=int(self._positive(f, "max_bytes", 10_000_000, "fetch", int, **loc)),
            concurrency=int(self._positive(f, "concurrency", 8, "fetch", int, **loc)),
            per_host_delay=self._delay(f, loc),
            retries=int(self._get(f, "retries", int, 2, "fetch", **loc)),
            browser=self._get(f, "browser", str, None, "fetch", **loc),
            render_concurrency=int(self._positive(f, "render_concurrency", 2, "fetch", int, **loc)),
        )
        if fetch.per_host_delay < 0:
            raise self.fail(
                "fetch.per_host_delay", "must be >= 0", self._line("per_host_delay", **loc)
            )

        s = self._table(raw, "schedule")
        loc = {"table": "schedule"}
        self._unknown(s, {"every", "jitter"}, "schedule", **loc)
        every = self._duration(s, "every", 12 * 3600.0, "schedule", **loc)
        jitter = (
            0.0
            if s.get("jitter") in (0, "0", "0s")
            else self._duration(s, "jitter", 600.0, "schedule", **loc)
        )

        d = self._table(raw, "daemon")
        loc = {"table": "daemon"}
        self._unknown(d, {"failure_threshold"}, "daemon", **loc)
        threshold = int(self._positive(d, "failure_threshold", 3, "daemon", int, **loc))

        wb = self._table(raw, "wayback")
        loc = {"table": "wayback"}
        self._unknown(wb, {"base_url", "cdx_rate", "playback_rate", "timeout"}, "wayback", **loc)
        wayback = WaybackSettings(
            base_url=self._url(wb, "base_url", "https://web.archive.org", "wayback", **loc),
            user_agent=fetch.user_agent,
            cdx_rate=float(self._positive(wb, "cdx_rate", 0.4, "wayback", **loc)),
            playback_rate=float(self._positive(wb, "playback_rate", 8.0, "wayback", **loc)),
            timeout=float(self._positive(wb, "timeout", fetch.timeout, "wayback", **loc)),
        )

        email = self._email(raw) if "email" in raw else None
        every_watch = self._watches(raw)
        channels = self._channels(raw)
        self._check_routes(every_watch, channels, email)
        watches = tuple(w for w in every_watch if w.enabled)
        return Config(
            self.path,
            database,
            snapshots,
            fetch,
            every,
            jitter,
            watches,
            email,
            wayback,
            threshold,
            channels,
            paused=tuple(w for w in every_watch if not w.enabled),
        )

    def _positive(
        self,
        values: dict[str, Any],
        key: str,
        default: float,
        prefix: str,
        typ: type | tuple[type, ...] = (int, float),
        **loc: Any,
    ) -> float:
        value = self._get(values, key, typ, default, prefix, **loc)
        if not value > 0:  # also nan
            raise self.fail(
                f"{prefix}.{key}", f"must be positive, got {value!r}", self._line(key, **loc)
            )
        top = _MAXIMA.get(key, 1e12)
        if value > top:  # also inf
            raise self.fail(
                f"{prefix}.{key}",
                f"{value!r} is too large (at most {top:g})",
                self._line(key, **loc),
            )
        return value

    def _delay(self, f: dict[str, Any], loc: dict[str, Any]) -> float:
        value = float(self._get(f, "per_host_delay", (int, float), 1.0, "fetch", **loc))
        if not 0 <= value <= 3600:  # also nan and inf
            raise self.fail(
                "fetch.per_host_delay",
                f"{value!r} is not a number of seconds from 0 to 3600",
                self._line("per_host_delay", **loc),
            )
        return value

    def _url(self, values: dict[str, Any], key: str, default: str, prefix: str, **loc: Any) -> str:
        value = self._get(values, key, str, default, prefix, **loc)
        if not re.match(r"^https?://[^\s/]+", value):
            raise self.fail(
                f"{prefix}.{key}", f"{value!r} is not an http(s) URL", self._line(key, **loc)
            )
        return value.rstrip("/") if key == "base_url" else value

    def _email(self, raw: dict[str, Any]) -> EmailSettings:
        e = self._table(raw, "email")
        loc = {"table": "email"}
        self._unknown(
            e,
            {
                "smtp_host",
                "smtp_port",
                "security",
                "username",
                "password_env",
                "password",
                "from",
                "to",
                "min_severity",
                "digest",
                "timeout",
                "deadline",
                "allow_plaintext_auth",
            },
            "email",
            **loc,
        )
        if "password" in e:
            raise self.fail(
                "email.password",
                "secrets never go in the config file; put the "
                "password in an environment variable and name it with password_env",
                self._line("password", **loc),
            )
        if "smtp_host" not in e:
            raise self.fail(
                "email.smtp_host",
                "missing (the SMTP server to send through)",
                self._line("email") or None,
            )
        security = self._get(e, "security", str, "starttls", "email", **loc)
        if security not in ("none", "starttls", "ssl"):
            raise self.fail(
                "email.security",
                f"{security!r} is not one of none, starttls, ssl",
                self._line("security", **loc),
            )
        severity = self._get(e, "min_severity", str, "info", "email", **loc)
        if severity not in SEVERITIES:
            raise self.fail(
                "email.min_severity",
                f"{severity!r} is not one of " + ", ".join(SEVERITIES),
                self._line("min_severity", **loc),
            )
        to = self._str_list(e, "to", "email", **loc)
        if not to:
            raise self.fail("email.to", "at least one recipient is needed", self._line("to", **loc))
        password_env = self._get(e, "password_env", str, None, "email", **loc)
        if password_env is not None and not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", password_env):
            raise self.fail(
                "email.password_env",
                f"{password_env!r} is not an environment variable name",
                self._line("password_env", **loc),
            )
        username = self._get(e, "username", str, None, "email", **loc)
        plaintext = self._get(e, "allow_plaintext_auth", bool, False, "email", **loc)
        if security == "none" and username and not plaintext:
            raise self.fail(
                "email.security",
                'security = "none" with a username sends the password in clear; use '
                '"starttls" or "ssl", or set allow_plaintext_auth = true if the network is trusted',
                self._line("security", **loc) or self._line("username", **loc),
            )
        timeout = float(self._positive(e, "timeout", 30.0, "email", **loc))
        return EmailSettings(
            smtp_host=self._get(e, "smtp_host", str, "", "email", **loc),
            smtp_port=int(self._positive(e, "smtp_port", 587, "email", int, **loc)),
            security=security,
            username=username,
            password_env=password_env,
            sender=self._get(
                e, "from", str, "policy-watcher <policy-watcher@localhost>", "email", **loc
            ),
            to=to,
            min_severity=severity,
            digest=self._get(e, "digest", bool, False, "email", **loc),
            timeout=timeout,
            deadline=float(self._positive(e, "deadline", max(120.0, timeout), "email", **loc)),
            allow_plaintext_auth=plaintext,
        )

    def _channels(self, raw: dict[str, Any]) -> tuple[ChannelSettings, ...]:
        entries = raw.get("channel", [])
        if not isinstance(entries, list):
            raise self.fail(
                "channel",
                "use [[channel]] (an array of tables), not [channel]",
                self._line("channel"),
            )
        out: list[ChannelSettings] = []
        for i, c in enumerate(entries):
            loc = {"table": "channel", "index": i}
            label = f"channel[{i}]"
            if not isinstance(c, dict):
                raise self.fail(label, "must be a table", None)
            self._unknown(c, {"name", "url", "min_severity", "watches"}, label, **loc)
            name = c.get("name")
            if not isinstance(name, str) or not NAME_RE.match(name):
                raise self.fail(
                    f"{label}.name",
                    f"{name!r} must be a name of lower-case letters, digits, '-' or '_'",
                    self._line("name", **loc),
                )
            label = f"channel[{name}]"
            if name == "email":
                raise self.fail(
                    f"{label}.name",
                    '"email" is the [email] table; give this channel another name',
                    self._line("name", **loc),
                )
            if any(o.name == name for o in out):
                raise self.fail(
                    f"{label}.name", f"duplicate channel name {name!r}", self._line("name", **loc)
                )
            if "url" not in c:
                raise self.fail(
                    f"{label}.url", "missing (an Apprise URL)", self._line("name", **loc)
                )
            url = self._get(c, "url", str, "", label, **loc)
            problem = channel_url_problem(url)
            if problem:
                raise self.fail(f"{label}.url", problem, self._line("url", **loc))
            severity = self._get(c, "min_severity", str, "info", label, **loc)
            if severity not in SEVERITIES:
                raise self.fail(
                    f"{label}.min_severity",
                    f"{severity!r} is not one of " + ", ".join(SEVERITIES),
                    self._line("min_severity", **loc),
                )
            watches = self._str_list(c, "watches", label, **loc) if "watches" in c else None
            out.append(ChannelSettings(name, url, severity, watches))
        return tuple(out)

    def _check_routes(
        self,
        watches: tuple[Watch, ...],
        channels: tuple[ChannelSettings, ...],
        email: EmailSettings | None,
    ) -> None:
        """Every name in a watch's `notify` and a channel's `watches` must exist."""
        known = {c.name for c in channels} | ({"email"} if email is not None else set())
        for w in watches:
            for n in w.notify or ():
                if n not in known:
                    hint = (
                        "there is no [email] table"
                        if n == "email"
                        else "channels: " + (", ".join(sorted(known)) or "none")
                    )
                    raise self.fail(
                        f"watch[{w.name}].notify",
                        f"unknown channel {n!r} ({hint})",
                        self._line("notify", table="watch", index=watches.index(w)),
                    )
        names = {w.name for w in watches}
        for i, c in enumerate(channels):
            for n in c.watches or ():
                if n not in names:
                    raise self.fail(
                        f"channel[{c.name}].watches",
                        f"unknown watch {n!r}",
                        self._line("watches", table="channel", index=i),
                    )

    def _watches(self, raw: dict[str, Any]) -> tuple[Watch, ...]:
        entries = raw.get("watch", [])
        if not isinstance(entries, list):
            raise self.fail(
                "watch", "use [[watch]] (an array of tables), not [watch]", self._line("watch")
            )
        out: list[Watch] = []
        seen: set[str] = set()
        allowed = {
            "name",
            "url",
            "select",
            "remove",
            "every",
            "backfill_since",
            "email_to",
            "verify_tls",
            "notify",
            "render",
            "expand",
            "allow_private",
            "enabled",
        }
        for i, w in enumerate(entries):
            loc = {"table": "watch", "index": i}
            label = f"watch[{i}]"
            if not isinstance(w, dict):
                raise self.fail(label, "must be a table", None)
            self._unknown(w, allowed, label, **loc)
            name = w.get("name")
            if not isinstance(name, str) or not NAME_RE.match(name):
                raise self.fail(
                    f"{label}.name",
                    f"{name!r} must be a unique name of lower-case letters, digits, '-' or '_'",
                    self._line("name", **loc),
                )
            label = f"watch[{name}]"
            if name in seen:
                raise self.fail(
                    f"{label}.name", f"duplicate watch name {name!r}", self._line("name", **loc)
                )
            seen.add(name)
            if "url" not in w:
                raise self.fail(f"{label}.url", "missing", self._line("name", **loc))
            url = self._url(w, "url", "", label, **loc)
            select = self._str_list(w, "select", label, **loc)
            remove = self._str_list(w, "remove", label, **loc)
            for key, sels in (("select", select), ("remove", remove)):
                for css in sels:
                    problem = _check_selector(css)
                    if problem:
                        raise self.fail(f"{label}.{key}", problem, self._line(key, **loc))
            every = self._duration(w, "every", 0.0, label, **loc) if "every" in w else None
            since = self._get(w, "backfill_since", (str, int), None, label, **loc)
            if since is not None:
                since = str(since)
                try:
                    parse_since(since)
                except ValueError as e:
                    raise self.fail(
                        f"{label}.backfill_since", str(e), self._line("backfill_since", **loc)
                    ) from None
            render = self._get(w, "render", str, "auto", label, **loc)
            if render not in RENDER_MODES:
                raise self.fail(
                    f"{label}.render",
                    f"{render!r} is not one of {', '.join(RENDER_MODES)}",
                    self._line("render", **loc),
                )
            out.append(
                Watch(
                    name=name,
                    url=url,
                    select=select,
                    remove=remove,
                    every=every,
                    backfill_since=since,
                    email_to=self._str_list(w, "email_to", label, **loc),
                    verify_tls=self._get(w, "verify_tls", bool, True, label, **loc),
                    notify=self._str_list(w, "notify", label, **loc) if "notify" in w else None,
                    render=render,
                    expand=self._get(w, "expand", bool, False, label, **loc),
                    allow_private=self._get(w, "allow_private", bool, False, label, **loc),
                    enabled=self._get(w, "enabled", bool, True, label, **loc),
                )
            )
        return tuple(out)


def missing_secret(config: Config, environ: Mapping[str, str] | None = None) -> str | None:
    """The one-line error when [email] or a [[channel]] names a variable that is not set."""
    env = os.environ if environ is None else environ
    email = config.email
    if email is not None and email.password_env and email.password_env not in env:
        return (
            f"{config.path}: email.password_env: the environment variable {email.password_env} "
            "is not set; export it with the SMTP password (it never goes in the config file)"
        )
    for c in config.channels:
        for name in channel_secret_names(c.url):
            if name not in env:
                return (
                    f"{config.path}: channel[{c.name}].url: the environment variable {name} "
                    "is not set; export it (secrets in channel URLs never go in the config file)"
                )
    return None


_SECRET_REF = re.compile(r"\$\{([^}]*)\}")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def channel_url_problem(url: str) -> str | None:
    """Why a [[channel]] url cannot be right (None if it may be): an Apprise URL
    `scheme://...` whose `${VAR}` references name environment variables."""
    if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://\S", url) or any(c.isspace() for c in url):
        return "expected an Apprise URL like slack://..., json://host/path or mailto://..."
    for ref in _SECRET_REF.findall(url):
        if not ENV_NAME.match(ref):
            return f"${{{ref}}} does not name an environment variable"
    return None


def channel_secret_names(url: str) -> list[str]:
    """The environment variables a channel URL names with `${VAR}`."""
    return _SECRET_REF.findall(url)


def _check_selector(css: str) -> str | None:
    # The extractor owns the one selector check; imported late (config loads on every command).
    from watcher.extract import check_selector

    return check_selector(css)


STARTER = """\
# policy-watcher configuration. Paths are relative to this file.
# Reference: README.md ("Config reference").

[storage]
database = "watcher.db"      # SQLite file: watches, versions, checks, changes, outbox
snapshots = "snapshots"      # raw captures, content-addressed and compressed

[fetch]
user_agent = "{ua}"
timeout = 30                 # seconds
max_bytes = 10000000         # larger responses are refused
concurrency = 8              # checks running at once
per_host_delay = 1.0         # seconds between requests to one host

[schedule]
every = "12h"                # durations: "30s", "15m", "12h", "1d", "1w"
jitter = "10m"

# [email]
# smtp_host = "smtp.example.com"
# smtp_port = 587
# security = "starttls"            # "none" | "starttls" | "ssl"
# username = "alerts@example.com"
# password_env = "WATCHER_SMTP_PASSWORD"   # the password itself lives in this variable
# from = "policy-watcher <alerts@example.com>"
# to = ["privacy-team@example.com"]
# min_severity = "info"            # info (default: every change that is not cosmetic) | low | medium | high
# digest = false

# Chat and webhook channels (Apprise URLs); secrets as ${{VAR}} from the environment:
# [[channel]]
# name = "team-slack"
# url = "slack://T000/B000/${{SLACK_TOKEN}}"
# min_severity = "medium"

# [wayback]
# base_url = "https://web.archive.org"

# Add pages with `watcher add URL --name NAME` (tune selectors with `watcher extract NAME`,
# bring a urlwatch or Open Terms Archive list with `watcher import FILE`), or by hand:
# [[watch]]
# name = "example"
# url = "https://example.com/privacy"
# select = ["main"]            # optional CSS selectors for the policy body
# remove = [".cookie-banner"]  # optional CSS selectors to drop
# every = "1d"                 # optional override
# enabled = false              # optional: paused (`watcher pause NAME` / `watcher resume NAME`)
"""


def starter_text() -> str:
    return STARTER.format(ua=DEFAULT_USER_AGENT)


def format_duration(seconds: float) -> str:
    for unit in ("w", "d", "h", "m"):
        if seconds % _UNITS[unit] == 0:
            return f"{int(seconds // _UNITS[unit])}{unit}"
    return f"{int(seconds)}s"
