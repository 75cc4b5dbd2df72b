"""The browser's pinning proxy (watcher.fetchers.pinproxy) against real loopback servers.

A name the test resolver knows ("policy.rebind.test") answers 127.0.0.1 (counted public, the
watch's host) the first time and 127.0.0.2 (loopback: internal) afterwards, as a DNS-rebinding
attacker's name would; an internal server listens on 127.0.0.2 on the same port. Clients are
plain `requests` and raw sockets speaking to the proxy as Chromium does (absolute-form GET,
CONNECT). The browser going through it is tested in tests/test_browser.py.
"""

from __future__ import annotations

import base64
import socket
import threading
import time

import pytest
import requests

from watcher.demo.site import LocalSite
from watcher.fetchers.netguard import AddressGuard
from watcher.fetchers.pinproxy import PinningProxy

NAME = "policy.rebind.test"


class Rebinder:
    """Resolves NAME to 127.0.0.1 once, then to 127.0.0.2; counts the lookups."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, host: str) -> list[str]:
        if host != NAME:
            return []
        self.calls += 1
        return ["127.0.0.1"] if self.calls == 1 else ["127.0.0.2"]


@pytest.fixture
def sites():
    with LocalSite() as public, LocalSite(host="127.0.0.2", port=public.port) as internal:
        public.set("/privacy", "PUBLIC-POLICY", content_type="text/plain")
        internal.set("/privacy", "SECRET-ADMIN-DATA", content_type="text/plain")
        yield public, internal


def guard(resolver=None) -> AddressGuard:
    return AddressGuard(resolver=resolver or Rebinder(), public={"127.0.0.1"})


def via(proxy: PinningProxy, url: str) -> requests.Response:
    c = proxy.credentials
    server = c["server"].replace("http://", f"http://{c['username']}:{c['password']}@")
    return requests.get(url, proxies={"http": server}, timeout=10)


def auth(proxy: PinningProxy) -> str:
    """The Proxy-Authorization header line a raw client sends."""
    c = proxy.credentials
    token = base64.b64encode(f"{c['username']}:{c['password']}".encode()).decode()
    return f"Proxy-Authorization: Basic {token}\r\n"


def test_a_name_is_resolved_once_and_connected_where_it_was_checked(sites):
    public, internal = sites
    rebinder = Rebinder()
    pinned = guard(rebinder).pinned()
    url = f"http://{NAME}:{public.port}/privacy"
    with PinningProxy(pinned, url, allow_private=False) as proxy:
        for _ in range(3):
            r = via(proxy, url)
            assert r.status_code == 200 and r.text == "PUBLIC-POLICY"
        assert pinned.reason(url, origin=url) is None  # the route handler's check agrees
    assert rebinder.calls == 1
    assert internal.hits("/privacy") == 0 and public.hits("/privacy") == 3
    # each request reached the site on a connection of its own, in origin form
    assert all(r.path == "/privacy" for r in public.requests)


def test_without_the_pin_the_second_lookup_is_internal():
    """The attack the pin defeats: an unpinned guard checks one answer and a later lookup
    (the browser's own) gets another; the pinned one keeps its first answer."""
    g = guard()
    url = f"http://{NAME}/privacy"
    assert g.reason(url, origin="http://watched.example/") is None  # checked: 127.0.0.1
    assert g.addresses(NAME) == ["127.0.0.2"]  # connected: internal
    pinned = guard().pinned()
    assert pinned.pin(url, origin="http://watched.example/") == ("127.0.0.1", None)
    assert pinned.addresses(NAME) == ["127.0.0.1"]


def test_an_internal_address_is_refused_with_the_guards_reason(sites):
    public, internal = sites
    rebinder = Rebinder()
    rebinder.calls = 1  # the name now answers 127.0.0.2 only
    url = f"http://{NAME}:{public.port}/privacy"
    with PinningProxy(
        guard(rebinder).pinned(), "http://watched.example/", allow_private=False
    ) as proxy:
        r = via(proxy, url)
        assert r.status_code == 403 and "allow_private" in r.text
        assert proxy.refused and "loopback" in proxy.refused[0]
        # a CONNECT tunnel to it as well
        with _connect(proxy) as s:
            s.sendall(f"CONNECT {NAME}:{public.port} HTTP/1.1\r\n{auth(proxy)}\r\n".encode())
            assert s.recv(100).startswith(b"HTTP/1.1 403")
    assert internal.hits("/privacy") == 0
    # allow_private lets it through (the watch said so)
    with PinningProxy(
        guard(rebinder).pinned(), "http://watched.example/", allow_private=True
    ) as proxy:
        assert via(proxy, url).text == "SECRET-ADMIN-DATA"


def _connect(proxy: PinningProxy) -> socket.socket:
    return socket.create_connection(("127.0.0.1", int(proxy.server.rsplit(":", 1)[1])), timeout=10)


def test_connect_tunnel_carries_the_exchange_and_close_ends_it(sites):
    public, internal = sites
    pinned = guard().pinned()
    with PinningProxy(pinned, f"http://{NAME}/", allow_private=False) as proxy:
        s = _connect(proxy)
        s.sendall(f"CONNECT {NAME}:{public.port} HTTP/1.1\r\n{auth(proxy)}\r\n".encode())
        assert s.recv(100) == b"HTTP/1.1 200 Connection Established\r\n\r\n"
        s.sendall(f"GET /privacy HTTP/1.1\r\nHost: {NAME}\r\n\r\n".encode())
        got = b""
        while b"PUBLIC-POLICY" not in got:
            chunk = s.recv(4096)
            assert chunk, got
            got += chunk
        # the tunnel stays open (keep-alive) until the render ends: close() ends it
        proxy.close()
        s.settimeout(10)
        assert s.recv(100) == b""
        s.close()
    assert internal.hits("/privacy") == 0


def test_unknown_names_and_bad_requests_get_one_clear_answer(sites):
    public, _internal = sites
    with PinningProxy(guard().pinned(), f"http://{NAME}/", allow_private=False) as proxy:
        r = via(proxy, f"http://nowhere.invalid:{public.port}/")
        assert r.status_code == 502 and "DNS lookup failed for nowhere.invalid" in r.text
        err = proxy.failed["nowhere.invalid"]
        assert err.kind == "dns"
        with _connect(proxy) as s:  # a head that never ends is cut at the bound
            s.sendall(b"GET http://x/ HTTP/1.1\r\n" + b"X-Pad: " + b"a" * 70_000)
            assert s.recv(100).startswith(b"HTTP/1.1 431")
        with _connect(proxy) as s:
            s.sendall(f"GET /relative HTTP/1.1\r\n{auth(proxy)}\r\n".encode())
            assert s.recv(100).startswith(b"HTTP/1.1 400")


def test_only_its_render_may_use_it(sites):
    """Any local program can connect to a loopback port: without the render's credentials
    (random per proxy) a request is refused, and never reaches DNS or the site."""
    public, _internal = sites
    rebinder = Rebinder()
    url = f"http://{NAME}:{public.port}/privacy"
    with PinningProxy(guard(rebinder).pinned(), url, allow_private=False) as proxy, \
            PinningProxy(guard().pinned(), url, allow_private=False) as other:  # fmt: skip
        for header in ("", "Proxy-Authorization: Basic d2F0Y2hlcjp4\r\n", auth(other)):
            with _connect(proxy) as s:
                s.sendall(f"GET {url} HTTP/1.1\r\nHost: x\r\n{header}\r\n".encode())
                answer = s.recv(300)
            assert answer.startswith(b"HTTP/1.1 407") and b"Proxy-Authenticate: Basic" in answer
        r = requests.get(url, proxies={"http": proxy.server}, timeout=10)
        assert r.status_code == 407
        assert via(proxy, url).text == "PUBLIC-POLICY"
    assert rebinder.calls == 1 and public.hits("/privacy") == 1


@pytest.mark.timeout(30)
def test_an_idle_connection_is_closed_and_connections_are_bounded(sites, monkeypatch):
    public, _internal = sites
    from watcher.fetchers import pinproxy

    monkeypatch.setattr(pinproxy, "MAX_CONNECTIONS", 2)
    with PinningProxy(guard().pinned(), f"http://{NAME}/", allow_private=False, idle=1.0) as proxy:
        a, b = _connect(proxy), _connect(proxy)
        time.sleep(0.3)  # both accepted and counted
        c = _connect(proxy)
        assert c.recv(10) == b""  # over the bound: closed at once
        c.close()
        # a client that never sends its head is dropped after `idle`
        assert a.recv(10) == b"" and b.recv(10) == b""
        a.close()
        b.close()
        ok = threading.Event()

        def fetch() -> None:
            if via(proxy, f"http://{NAME}:{public.port}/privacy").text == "PUBLIC-POLICY":
                ok.set()

        t = threading.Thread(target=fetch)
        t.start()
        t.join(15)
        assert ok.is_set()  # room again once they are gone
