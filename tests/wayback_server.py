"""The stand-in Wayback Machine for tests: it lives in watcher/demo/wayback.py (the demo
bundles it), re-exported here under the name the tests have always used."""

from watcher.demo.wayback import (  # noqa: F401
    BLOCKED_HEADER,
    TOOLBAR_BEGIN,
    TOOLBAR_END,
    ArchivedCapture,
    FakeWayback,
    RequestLog,
    cdx_digest,
    url_key,
)
