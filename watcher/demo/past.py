"""The SmarterTools policy's past, as the demo's stand-in Wayback Machine holds it.

The seed text (`pages/smartertools/v1.html`) came from a 2019-05-19 Wayback capture of
smartertools.com/company/privacy-policy ("Last updated May 25, 2018"). The demo archive
holds a history shaped like a real one, all at the demo's own policy URL:

- 2016-03 .. 2017-12: the policy URL answered `301` to an older address (`privacy.aspx`),
  captured every few weeks (one digest: the same small "moved" body), and that older
  address was captured with a **fictional pre-GDPR text**, derived from the seed for the
  demo: "Last updated March 1, 2016" and no "Your Rights" section;
- 2018-06-02 and 2019-05-19: the seed text at the policy URL (the second with other page
  noise, so another digest), plus revisits and repeated index lines.

A backfill follows the redirects to the older address, imports its version with its own
capture date, then finds the seed text (already seen live) and moves that version's start
back to 2018.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from importlib import resources
from urllib.parse import urljoin

from watcher.demo.wayback import FakeWayback

BACKFILL_SEED = "smartertools"
OLD_PATH = "privacy.aspx"  # relative to the policy URL's folder


def seed_page() -> bytes:
    return (resources.files("watcher.demo") / "pages" / BACKFILL_SEED / "v1.html").read_bytes()


def pre_gdpr_page() -> bytes:
    """A fictional 2016 version of the seed: older date, no "Your Rights" section."""
    page = seed_page()
    para = b'<p><font face="Verdana, Arial, Helvetica, sans-serif" size="3" color="#1F4E79">'
    start = page.index(para + b"<b>Your Rights</b>")
    end = page.index(para + b"<b>Changes to Our Privacy Policy</b>")
    page = page[:start] + page[end:]
    return page.replace(b"Last updated May 25, 2018", b"Last updated March 1, 2016")


def archive_past(wb: FakeWayback, url: str) -> None:
    """Fill `wb` with the history above for the policy at `url`."""
    old_url = urljoin(url.rstrip("/") + "/", "../" + OLD_PATH)
    ctype = "text/html"  # as served then: windows-1252 bytes, no declared charset
    moved = b"<html><body>Object moved</body></html>"
    at = datetime(2016, 3, 10, 8, 0, tzinfo=UTC)
    while at < datetime(2018, 1, 1, tzinfo=UTC):
        wb.add(url, at.strftime("%Y%m%d%H%M%S"), moved, status=301, location=old_url)
        at += timedelta(days=23)
    old = pre_gdpr_page()
    wb.add(old_url, "20160311093000", old, content_type=ctype)
    wb.add(old_url, "20170215093000", old, content_type=ctype, revisit=True)
    seed = seed_page()
    wb.add(url, "20180602101500", seed, content_type=ctype, repeat=2)
    wb.add(url, "20181120101500", seed, content_type=ctype, revisit=True)
    noisy = seed.replace(b"</body>", b"<!-- served by web03 -->\r\n</body>")
    wb.add(url, "20190519054012", noisy, content_type=ctype)
    wb.add(url, "20191103054012", noisy, content_type=ctype, revisit=True)
