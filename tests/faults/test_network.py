"""Hostile and broken networks: every failure must end as a clean FetchError, quickly.

Real sockets on 127.0.0.1 only; nothing is mocked.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
import tracemalloc
import zlib

import pytest

from watcher.demo.site import (
    LocalSite,
    SilentServer,
    closed_port,
    drip,
    reset_after,
    reset_now,
    respond,
    sequence,
    truncated_chunked,
)
from watcher.fetchers.http import Fetcher
from watcher.models import FetchError, FetchSettings


def settings(**kw) -> FetchSettings:
    base = {"user_agent": "policy-watcher-test/1.0", "timeout": 1.0, "retries": 0}
    base.update(kw)
    return FetchSettings(**base)


def fetcher(**kw) -> Fetcher:
    f = Fetcher(settings(**kw))
    f.backoff = 0.05
    return f


@pytest.fixture
def site():
    with LocalSite() as s:
        yield s


def fails(fn, *args, **kw) -> FetchError:
    with pytest.raises(FetchError) as info:
        fn(*args, **kw)
    return info.value


def timed_failure(fn, *args, **kw) -> tuple[FetchError, float]:
    t0 = time.monotonic()
    err = fails(fn, *args, **kw)
    return err, time.monotonic() - t0


# -- size limits ------------------------------------------------------------------------------


def test_oversize_by_content_length(site):
    site.set("/big", b"x" * 5000)
    err = fails(fetcher(max_bytes=1000).fetch, site.url("/big"))
    assert err.kind == "too_large"
    assert str(err) == "response larger than 1,000 bytes (Content-Length: 5,000)"


@pytest.mark.timeout(60)
def test_oversize_by_streaming_without_content_length(site):
    written: list[int] = []
    done = threading.Event()

    def endless(req):
        req.close_connection = True
        try:
            req.send_response(200)
            req.send_header("Content-Type", "text/html")
            req.send_header("Connection", "close")
            req.end_headers()
            for _ in range(10_000):  # 640 MB if nobody stopped reading
                req.wfile.write(b"y" * 65536)
                written.append(1)
        except OSError:
            pass
        finally:
            done.set()

    site.set("/stream", handler=endless)
    err = fails(fetcher(max_bytes=300_000).fetch, site.url("/stream"))
    assert err.kind == "too_large"
    assert str(err) == "response larger than 300,000 bytes"
    # the fetcher hung up at the cap: the server could not send the rest (socket buffers
    # hold a few MB at most, far from 640)
    assert done.wait(30)
    assert len(written) < 1_000


def _gzip_zeros(n: int) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(1 << 20)
    out = [c.compress(block) for _ in range(n >> 20)]
    out.append(c.flush())
    return b"".join(out)


@pytest.fixture(scope="module")
def bomb() -> bytes:
    data = _gzip_zeros(50 << 20)  # 50 MiB of zeros
    assert len(data) < 100_000
    return data


def test_gzip_bomb_default_limit(site, bomb):
    site.set("/bomb", bomb, headers={"Content-Encoding": "gzip"})
    err = fails(fetcher().fetch, site.url("/bomb"))
    assert err.kind == "too_large"
    assert str(err).startswith("decompressed response larger than 50,000,000 bytes")


def test_gzip_bomb_memory_is_bounded(site, bomb):
    site.set("/bomb", bomb, headers={"Content-Encoding": "gzip"})
    f = fetcher(max_decompressed_bytes=2_000_000)
    tracemalloc.start()
    try:
        err = fails(f.fetch, site.url("/bomb"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert err.kind == "too_large"
    assert peak < 8_000_000, peak  # ~ the 2 MB cap plus a chunk, never the 50 MiB


def test_broken_gzip_is_a_decode_error(site):
    site.set(
        "/junk",
        b"\x1f\x8b\x08\x00not really gzip at all" * 10,
        headers={"Content-Encoding": "gzip"},
    )
    err = fails(fetcher().fetch, site.url("/junk"))
    assert err.kind == "decode"
    assert "gzip" in str(err)


# -- connecting -------------------------------------------------------------------------------


def test_connection_refused():
    port = closed_port()
    err = fails(fetcher(retries=2).fetch, f"http://127.0.0.1:{port}/policy")
    assert err.kind == "connect"
    # refused is final: no retries (the message would say "(retried N times)")
    assert str(err) == f"connection refused by 127.0.0.1:{port}"


def test_dns_failure():
    err = fails(fetcher().fetch, "http://no-such-host.invalid/privacy")
    assert err.kind == "dns"
    assert str(err) == "DNS lookup failed for no-such-host.invalid"


@pytest.mark.skipif(
    sys.platform != "linux", reason="relies on Linux dropping SYNs on a full backlog"
)
@pytest.mark.timeout(20)  # dropped SYNs are retried by the kernel for ~2 minutes
def test_connect_timeout():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    try:
        for _ in range(3):  # fill the accept backlog: further SYNs are dropped
            c = socket.socket()
            c.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                c.connect(("127.0.0.1", port))
            fillers.append(c)
        time.sleep(0.05)
        f = Fetcher(settings(timeout=0.5))
        err = fails(f.fetch, f"http://127.0.0.1:{port}/")
    finally:
        for c in fillers:
            c.close()
        listener.close()
    assert err.kind == "timeout"
    assert str(err) == f"timed out after 0.5s connecting to 127.0.0.1:{port}"


@pytest.mark.timeout(20)  # a server that never answers: only the timeout ends the wait
def test_server_that_never_answers():
    with SilentServer() as silent:
        err, took = timed_failure(fetcher().fetch, silent.url("/"))
    assert err.kind == "timeout"
    assert str(err) == f"timed out after 1s waiting for a response from 127.0.0.1:{silent.port}"
    assert took >= 0.9  # it did wait for the 1 s timeout


@pytest.mark.timeout(20)
def test_never_answers_is_retried():
    f = Fetcher(settings(timeout=0.5, retries=1))
    f.backoff = 0.05
    with SilentServer() as silent:
        err, took = timed_failure(f.fetch, silent.url("/"))
    assert err.kind == "timeout"
    assert str(err).endswith("(retried 1 time)")
    assert took >= 1.0  # two attempts of 0.5 s each


# -- slow servers: the overall deadline -------------------------------------------------------


# each byte arrives well within the read timeout: only the 1 s deadline cuts the ~40 s drip
@pytest.mark.timeout(15)
def test_slowloris_body_drip_hits_the_deadline(site):
    site.set("/drip", handler=drip(b"<p>" + b"a" * 200 + b"</p>", 0.2))
    err = fails(fetcher().fetch, site.url("/drip"))
    assert err.kind == "timeout"
    assert str(err).startswith("timed out after 1s: the server was still sending the page")


@pytest.mark.timeout(15)  # a ~40 s drip: the 1 s deadline must cut it
def test_slowloris_without_content_length(site):
    site.set("/drip", handler=drip(b"b" * 200, 0.2, content_length=False))
    err = fails(fetcher().fetch, site.url("/drip"))
    assert err.kind == "timeout"


@pytest.mark.timeout(8)  # headers dripped for ~10 s: the 1 s deadline must cut them
def test_slow_headers_hit_the_deadline(site):
    def slow_headers(req):
        try:
            req.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
            for _ in range(50):
                req.wfile.write(b"z")
                req.wfile.flush()
                time.sleep(0.2)
        except OSError:
            pass
        req.close_connection = True

    site.set("/slowhead", handler=slow_headers)
    err = fails(fetcher().fetch, site.url("/slowhead"))
    assert err.kind == "timeout"
    assert "waiting for a response" in str(err)


def test_fetcher_recovers_after_a_deadline(site):
    f = fetcher()
    site.set("/drip", handler=drip(b"c" * 100, 0.2))
    site.set("/ok", "fine")
    assert fails(f.fetch, site.url("/drip")).kind == "timeout"
    assert f.fetch(site.url("/ok")).body == b"fine"
    time.sleep(1.2)  # past the old deadline: a stale timer must not cut anything
    assert f.fetch(site.url("/ok")).body == b"fine"


# -- broken connections -----------------------------------------------------------------------


def test_connection_reset_mid_body_after_retry(site):
    site.set("/reset", handler=reset_after(b"<p>half", 10_000))
    err = fails(fetcher(retries=1).fetch, site.url("/reset"))
    assert err.kind == "protocol"
    assert "of 10,000 bytes received" in str(err)
    assert "reset" in str(err) or "closed the connection" in str(err)
    assert str(err).endswith("(retried 1 time)")
    assert site.hits("/reset") == 2


def test_connection_reset_mid_body_then_success(site):
    site.set(
        "/flaky",
        handler=sequence(
            reset_after(b"<p>half", 10_000), lambda r: respond(r, 200, "<p>whole</p>")
        ),
    )
    cap = fetcher(retries=1).fetch(site.url("/flaky"))
    assert cap.body == b"<p>whole</p>"


def test_truncated_chunked_body(site):
    site.set("/chunks", handler=truncated_chunked([b"<p>one", b"two"]))
    err = fails(fetcher(retries=1).fetch, site.url("/chunks"))
    assert err.kind == "protocol"
    assert "chunked body" in str(err)
    assert site.hits("/chunks") == 2


def test_reset_before_any_response(site):
    site.set("/rst", handler=reset_now())
    err = fails(fetcher(retries=1).fetch, site.url("/rst"))
    assert err.kind == "protocol"
    assert str(err).endswith("(retried 1 time)")
    assert site.hits("/rst") == 2


def test_garbage_instead_of_http(site):
    def garbage(req):
        req.close_connection = True
        req.wfile.write(b"SSH-2.0-OpenSSH_9.0\r\n\r\n")

    site.set("/ssh", handler=garbage)
    err = fails(fetcher().fetch, site.url("/ssh"))
    assert err.kind == "protocol"


# -- TLS --------------------------------------------------------------------------------------


def test_https_to_a_plain_http_server(site):
    site.set("/p", "x")
    url = site.url("/p").replace("http://", "https://")
    err = fails(fetcher().fetch, url)
    assert err.kind == "tls"
    assert str(err).startswith(f"TLS handshake with 127.0.0.1:{site.port} failed")


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory):
    if shutil.which("openssl") is None:
        pytest.skip("openssl not available to make a test certificate")
    d = tmp_path_factory.mktemp("tls")
    cert, key = d / "cert.pem", d / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    return ctx


def test_self_signed_certificate_is_refused_unless_asked(self_signed):
    with LocalSite(tls=self_signed) as tls_site:
        tls_site.set("/p", "<p>secret</p>")
        f = fetcher()
        err = fails(f.fetch, tls_site.url("/p"))
        assert err.kind == "tls"
        assert str(err).startswith("TLS certificate verification failed: ")
        assert "self-signed" in str(err) or "self signed" in str(err)
        cap = f.fetch(tls_site.url("/p"), verify=False)
        assert cap.status == 200 and cap.body == b"<p>secret</p>"
        # and verification is back on for the next call
        assert fails(f.fetch, tls_site.url("/p")).kind == "tls"


# -- nothing leaks ----------------------------------------------------------------------------


def test_errors_do_not_leak_threads(site):
    before = threading.active_count()
    f = fetcher()
    site.set("/rst", handler=reset_now())
    for _ in range(5):
        fails(f.fetch, site.url("/rst"))
        fails(f.fetch, f"http://127.0.0.1:{closed_port()}/")
    f.close()
    time.sleep(0.1)
    assert threading.active_count() <= before + 2  # the one watchdog, a lingering handler


def test_watchdog_heap_stays_small(site):
    from watcher.fetchers.http import _WATCHDOG

    f = Fetcher(settings(timeout=30.0))
    site.set("/w", "x")
    for _ in range(3000):
        f.fetch(site.url("/w"))
    # 3000 finished exchanges within the 30 s window: cancelled timers are compacted away
    assert len(_WATCHDOG._heap) < 2100


def test_extract_of_a_watch_honours_its_verify_tls(self_signed, project):
    """`watcher extract NAME` fetches as the watch would: `verify_tls = false` is honoured,
    and a watch without it gets the certificate error as one line."""
    page = "<html><body><main><h1>Privacy</h1><p>We keep logs for 30 days.</p></main></body></html>"
    with LocalSite(tls=self_signed) as tls_site:
        tls_site.set("/p", page)
        common = {"url": tls_site.url("/p"), "allow_private": True, "render": "http"}
        project.write_config(
            [{"name": "lax", **common, "verify_tls": False}, {"name": "strict", **common}]
        )
        ok = project.run("extract", "lax", "--json")
        assert "30 days" in json.loads(ok.stdout)["text"]
        bad = project.run("extract", "strict", code=1)
        assert "strict:" in bad.output and "TLS certificate verification failed" in bad.output
