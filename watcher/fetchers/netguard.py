"""Where a fetch may go: redirects, browser requests and Wayback playback stay off private nets.

A watched page (or an archive's playback) must not bounce us to the machine's own services,
the LAN or a cloud metadata endpoint (SSRF): a redirect, a browser navigation or subresource,
or a Wayback playback hop may only go to an address of the same reach as the watch's own URL.

    guard = AddressGuard()                       # the real resolver
    guard.check(target_url, origin=watch.url)    # raises FetchError("blocked", one line)

Address classes: "public", "loopback", "private" (RFC 1918, ULA, CGNAT), "link-local",
"metadata" (169.254.169.254 and friends), "reserved" (multicast, unspecified, documentation...).
A target whose addresses are all public is always fine; a non-public one only when the origin
resolves to that same class, or with `allow_private = true` on the watch. A name that does not
resolve is let through: the fetch itself then reports the DNS failure.

Tests: every server here is on loopback, so `AddressGuard(public={"127.0.0.1"})` counts the
listed addresses as public (the watch's "own host"), while another loopback address such as
127.0.0.2 stays loopback.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
from collections.abc import Callable, Iterable, Iterator
from urllib.parse import urlsplit

from watcher.models import FetchError
from watcher.textutil import shorten

__all__ = ["AddressGuard", "address_class", "blocked_reason", "DEFAULT_GUARD", "public_for_tests"]

Resolver = Callable[[str], list[str]]

_METADATA = {
    ipaddress.ip_address("169.254.169.254"),  # AWS, GCP, Azure, OpenStack...
    ipaddress.ip_address("169.254.170.2"),  # AWS ECS task metadata
    ipaddress.ip_address("100.100.100.200"),  # Alibaba Cloud
    ipaddress.ip_address("fd00:ec2::254"),  # AWS IPv6
}
_CGNAT = ipaddress.ip_network("100.64.0.0/10")


def address_class(ip: str) -> str:
    """public | loopback | private | link-local | metadata | reserved."""
    try:
        addr = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        return "reserved"
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    if addr in _METADATA:
        return "metadata"
    if addr.is_loopback:
        return "loopback"
    if addr.is_link_local:
        return "link-local"
    if isinstance(addr, ipaddress.IPv4Address) and addr in _CGNAT:
        return "private"
    if addr.is_unspecified or addr.is_multicast or addr.is_reserved:
        return "reserved"
    if addr.is_private:
        return "private"
    return "public" if addr.is_global else "reserved"


def _resolve(host: str) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return []
    return sorted({str(info[4][0]) for info in infos})


class AddressGuard:
    """Decides whether a fetch may move from the watch's URL to another URL."""

    def __init__(self, *, resolver: Resolver | None = None, public: Iterable[str] = ()) -> None:
        self._resolve = resolver or _resolve
        self._public = frozenset(public)  # test hook: these addresses count as public

    def addresses(self, host: str) -> list[str]:
        """The addresses `host` names (itself when it is one; empty when it does not resolve)."""
        host = host.strip("[]")
        try:
            return [str(ipaddress.ip_address(host.split("%", 1)[0]))]
        except ValueError:
            return self._resolve(host)

    def classes(self, host: str, ips: list[str] | None = None) -> set[str]:
        """The address classes of `ips`, by default those `host` resolves to."""
        if ips is None:
            ips = self.addresses(host)
        return {"public" if ip in self._public else address_class(ip) for ip in ips}

    def reason(
        self,
        target: str,
        *,
        origin: str,
        allow_private: bool = False,
        ips: list[str] | None = None,
    ) -> str | None:
        """Why `target` may not be fetched for a watch of `origin`, or None when it may.
        `ips`: the addresses its host resolved to, when the caller has resolved it (and will
        connect to one of them: `pin`)."""
        if allow_private:
            return None
        host = urlsplit(target).hostname
        if not host:
            return None
        bad = self.classes(host, ips) - {"public"}
        if not bad:
            return None
        origin_host = urlsplit(origin).hostname or ""
        allowed = self.classes(origin_host) if origin_host else set()
        bad -= allowed
        if not bad:
            return None
        what = ", ".join(sorted(bad))
        return (
            f"refused to follow {_short(target)}: it points to a {what} address "
            "(set allow_private = true on the watch if this is intended)"
        )

    def pin(
        self, target: str, *, origin: str, allow_private: bool = False
    ) -> tuple[str | None, str | None]:
        """(the address to connect to, why `target` may not be fetched): its host resolved
        once, and that very answer both checked and used, so a name that resolves to a public
        address for the check and to an internal one for the connection (DNS rebinding)
        reaches nothing. (None, None): the name does not resolve."""
        host = urlsplit(target).hostname or ""
        ips = self.addresses(host)
        why = self.reason(target, origin=origin, allow_private=allow_private, ips=ips)
        if why or not ips:
            return None, why
        return ips[0], None

    def pinned(self) -> AddressGuard:
        """A guard that resolves each name once and keeps the answer (thread-safe): one
        render's view of DNS, so every check and every connection of that render (the page,
        its redirects, its subresources, the watch's own URL) sees the same addresses."""
        answers: dict[str, list[str]] = {}
        lock = threading.Lock()
        resolve = self._resolve

        def remembered(host: str) -> list[str]:
            with lock:
                if host in answers:
                    return answers[host]
            ips = resolve(host)  # outside the lock: one slow name does not hold the others
            with lock:
                return answers.setdefault(host, ips)  # two racing lookups: the first stands

        return AddressGuard(resolver=remembered, public=self._public)

    def check(self, target: str, *, origin: str, allow_private: bool = False) -> None:
        """Raise FetchError("blocked") when `reason` says no."""
        why = self.reason(target, origin=origin, allow_private=allow_private)
        if why:
            raise FetchError("blocked", why)


DEFAULT_GUARD = AddressGuard()


def blocked_reason(target: str, *, origin: str, allow_private: bool = False) -> str | None:
    """`DEFAULT_GUARD.reason`: for clients without a guard of their own (Wayback playback)."""
    return DEFAULT_GUARD.reason(target, origin=origin, allow_private=allow_private)


@contextlib.contextmanager
def public_for_tests(*addresses: str) -> Iterator[None]:
    """Test hook: `DEFAULT_GUARD` counts these addresses as public inside the block (every
    server in the tests is on loopback; a "public" watch needs one to be)."""
    old = DEFAULT_GUARD._public
    DEFAULT_GUARD._public = old | frozenset(addresses)
    try:
        yield
    finally:
        DEFAULT_GUARD._public = old


def _short(url: str) -> str:
    return shorten(url, 120)
