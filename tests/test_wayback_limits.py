"""A hostile or broken Wayback mirror (issue 13, points 8 and 9, and TLS), over loopback.

Bounded time (one deadline per request, not per read), bounded memory (decompressed caps,
CDX parsed line by line with runs folded), one clear error; Memento dates that cannot be true
are refused; live versions keep their order when the clock steps back.
"""

from __future__ import annotations

import gzip
import json
import shutil
import ssl
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from tests.conftest import Project, policy_html
from tests.wayback_server import FakeWayback
from watcher.demo.site import LocalSite
from watcher.fetchers.http import Fetcher, HostThrottle
from watcher.models import FetchSettings, Watch, WaybackSettings
from watcher.monitor import Context, check_watch
from watcher.storage.sqlite import Store
from watcher.wayback.cdx import CdxRow, WaybackError
from watcher.wayback.client import WaybackClient

POLICY = "https://www.acme.test/privacy"
HEADER = '[["timestamp","original","mimetype","statuscode","digest","length"],\n'


def page(text: str) -> str:
    return policy_html(
        f"<h1>Privacy Policy</h1><p>{text}</p><p>"
        + "We process personal data lawfully, fairly and transparently. " * 20
        + "</p>"
    )


def row_line(i: int, *, same: bool = False) -> bytes:
    digest = "A" * 32 if same else f"{i:032d}"
    ts = (datetime(2015, 1, 1, tzinfo=UTC) + timedelta(seconds=37 * i)).strftime("%Y%m%d%H%M%S")
    return json.dumps([ts, POLICY, "text/html", "200", digest, "1234"]).encode() + b",\n"


@pytest.fixture
def wb() -> Iterator[FakeWayback]:
    with FakeWayback() as server:
        yield server


def client_for(base: str, **kw: object) -> WaybackClient:
    opts: dict[str, object] = {"base_url": base, "cdx_rate": 0, "playback_rate": 0}
    opts.update(kw)
    return WaybackClient(WaybackSettings(**opts))  # type: ignore[arg-type]


def run_cli_measured(config: Path, *args: str) -> tuple[int, dict, int]:
    """Run `watcher` in a fresh process; (exit code, JSON output, its peak RSS in MB)."""
    probe = (
        "import resource, subprocess, sys\n"
        "r = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "sys.stderr.write(r.stderr)\n"
        "print(r.returncode)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)\n"
        "print(r.stdout)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe, sys.executable, "-m", "watcher", "--config", str(config),
         *args, "--json"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    code, rss, rest = out.stdout.split("\n", 2)
    return int(code), json.loads(rest), int(rss)


def configure(project: Project, base: str, timeout: float = 5) -> None:
    project.write_config(
        [{"name": "acme", "url": POLICY}],
        extra=(
            f'[wayback]\nbase_url = "{base}"\ncdx_rate = 500.0\nplayback_rate = 500.0\n'
            f"timeout = {timeout}\n"
        ),
    )


# -- 9. deadline, decompressed size, streaming CDX --------------------------------------------


@pytest.mark.timeout(30)  # each read comes within the timeout: only the overall deadline ends it
def test_a_one_byte_per_second_playback_hits_the_overall_deadline(wb: FakeWayback) -> None:
    wb.add(POLICY, "20150301120000", page("v1"))
    wb.drip("playback", 1.0)
    row = CdxRow("20150301120000", POLICY, "text/html", "200", "D", "1")
    with client_for(wb.base, timeout=3.0, retries=0) as client, pytest.raises(WaybackError) as ei:
        client.fetch(row)
    assert ei.value.kind == "timeout"
    assert "did not answer within 3s" in str(ei.value) and "\n" not in str(ei.value)


@pytest.mark.timeout(60)  # the deadline of each attempt must fire well within this
def test_a_one_byte_per_second_cdx_hits_the_deadline(wb: FakeWayback) -> None:
    wb.add(POLICY, "20150301120000", page("v1"))
    wb.drip("cdx", 1.0)
    with (
        client_for(wb.base, timeout=3.0, retries=1, backoff_base=0.1) as client,
        pytest.raises(WaybackError, match="after 2 attempts") as ei,
    ):
        client.list_captures(POLICY)
    assert ei.value.kind == "timeout"


def _gzip_bomb_handler(members: int) -> object:
    """A CDX answer of ~2 MB gzip (concatenated members) inflating to ~2 GB of rows."""
    row = row_line(0, same=True)
    block = b"[" + b" " * (1_000_000 - len(row)) + row[1:]  # a 1 MB row (JSON allows spaces)
    member = gzip.compress(block, compresslevel=9)
    head = gzip.compress(HEADER.encode())

    def handle(req: BaseHTTPRequestHandler) -> None:
        req.send_response(200)
        req.send_header("Content-Type", "application/json")
        req.send_header("Content-Encoding", "gzip")
        req.send_header("Content-Length", str(len(head) + members * len(member)))
        req.end_headers()
        try:
            req.wfile.write(head)
            for _ in range(members):
                req.wfile.write(member)
        except OSError:
            pass

    handle.compressed = len(head) + members * len(member)  # type: ignore[attr-defined]
    handle.inflated = members * len(block)  # type: ignore[attr-defined]
    return handle


def test_a_gzip_bomb_cdx_is_cut_at_its_decompressed_cap(project: Project) -> None:
    handler = _gzip_bomb_handler(2000)
    assert handler.compressed < 3_000_000 and handler.inflated > 1_900_000_000  # type: ignore[attr-defined]
    with LocalSite() as site:
        site.set("/cdx/search/cdx", handler=handler)  # type: ignore[arg-type]
        configure(project, site.base, timeout=120)
        code, out, rss = run_cli_measured(project.config, "backfill", "acme")
    assert code == 1 and not out["completed"]
    (error,) = out["errors"]
    assert "larger than 100,000,000 bytes once decompressed" in error and "\n" not in error
    assert rss < 400  # MB: the 2 GB never sat in memory


def test_a_three_million_row_cdx_stops_at_the_row_cap_in_bounded_memory(project: Project) -> None:
    def handle(req: BaseHTTPRequestHandler) -> None:
        req.send_response(200)
        req.send_header("Content-Type", "application/json")
        req.send_header("Connection", "close")
        req.end_headers()
        try:
            req.wfile.write(HEADER.encode())
            for start in range(0, 3_000_000, 1000):
                req.wfile.write(b"".join(row_line(i) for i in range(start, start + 1000)))
            req.wfile.write(b'["20200101000000","x","text/html","200","Z","1"]]\n')
        except OSError:
            pass  # the client hung up at its cap

    with LocalSite() as site:
        site.set("/cdx/search/cdx", handler=handle)
        configure(project, site.base, timeout=120)
        code, out, rss = run_cli_measured(project.config, "backfill", "acme")
    assert code == 1
    (error,) = out["errors"]
    assert "more than 100,000 distinct captures" in error and "--since/--until" in error
    assert rss < 400


def test_a_long_listing_of_one_body_is_folded(wb: FakeWayback) -> None:
    wb.add(POLICY, "20150101000000", page("v1"))
    for day in range(2, 29):
        wb.add(POLICY, f"201501{day:02d}000000", page("v1"), revisit=True, repeat=3)
    wb.add(POLICY, "20150201000000", page("v1"), revisit=True)
    with client_for(wb.base) as client:
        rows = client.list_captures(POLICY)
        assert client.last_listed == 29  # repeated lines listed once
    # one row for the run, plus the first of the next month (a candidate for --every month)
    assert [r.timestamp for r in rows] == ["20150101000000", "20150201000000"]


# -- 8. dates that cannot be true; the clock stepping back -------------------------------------


def test_a_memento_from_the_future_is_refused(project: Project, wb: FakeWayback) -> None:
    wb.add(POLICY, "20150301120000", page("the real 2015 text"))
    wb.add(POLICY, "99991231000000", page("a text that would pin itself as latest"))
    configure(project, wb.base)
    s = project.json("backfill", "acme")
    assert s["imported"] == 1 and s["skipped"] == 1
    hist = project.json("history", "acme")
    assert [h["captured_at"] for h in hist] == ["2015-03-01T12:00:00Z"]


def test_a_memento_far_from_its_cdx_timestamp_is_refused(wb: FakeWayback) -> None:
    wb.add(POLICY, "20150301120000", page("v1"), memento_datetime="20190301120000")
    with client_for(wb.base) as client:
        (row,) = client.list_captures(POLICY)
        assert client.fetch(row) is None
        assert "too far from the listed capture time 2015-03-01" in client.skipped[-1].reason


def test_live_versions_keep_their_order_when_the_clock_steps_back(tmp_path: Path) -> None:
    store = Store(tmp_path / "w.db", tmp_path / "snap")
    clock = [datetime(2031, 1, 1, tzinfo=UTC)]  # the clock ran ahead...
    with LocalSite() as site:
        watch = Watch(name="acme", url=site.url("/privacy"))
        ctx = Context(
            store=store,
            fetcher=Fetcher(
                FetchSettings(user_agent="policy-watcher-test", timeout=5, retries=0),
                HostThrottle(0.0),
            ),
            clock=lambda: clock[0],
        )
        site.set("/privacy", page("We use Mailchimp."))
        assert check_watch(ctx, watch).status == "new"
        clock[0] = datetime(2026, 12, 1, tzinfo=UTC)  # ...and was corrected
        site.set("/privacy", page("We use SendGrid."))
        assert check_watch(ctx, watch).status == "changed"
        assert "SendGrid" in store.latest_version("acme").text  # type: ignore[union-attr]
        clock[0] += timedelta(hours=1)
        assert check_watch(ctx, watch).status == "unchanged"  # the same text: no alert
        site.set("/privacy", page("We use Postmark."))
        clock[0] += timedelta(hours=1)
        assert check_watch(ctx, watch).status == "changed"
    texts = [v.text for v in store.versions("acme")]
    assert ["Mailchimp" in texts[0], "SendGrid" in texts[1], "Postmark" in texts[2]] == [True] * 3
    store.close()


# -- TLS: not retried, named as certificate errors ---------------------------------------------


@pytest.fixture(scope="module")
def cert(tmp_path_factory) -> tuple[Path, Path]:
    if not shutil.which("openssl"):
        pytest.skip("openssl not available to make a test certificate")
    d = tmp_path_factory.mktemp("tls")
    key, crt = d / "key.pem", d / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(crt)],
        check=True, capture_output=True,
    )  # fmt: skip
    return crt, key


def test_a_bad_certificate_is_named_and_not_retried(cert: tuple[Path, Path]) -> None:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(*cert)
    with LocalSite(tls=ctx) as site:
        site.set("/cdx/search/cdx", "[]", content_type="application/json")
        client = client_for(site.base, retries=3, backoff_base=0.01)
        with client, pytest.raises(WaybackError) as ei:
            client.list_captures(POLICY)
    assert ei.value.kind == "tls"
    assert "certificate verification failed" in str(ei.value)
    assert len(site.requests) == 0  # the handshake failed once; never retried
