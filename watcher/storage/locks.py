"""Inter-process locks next to the database: one daemon per database, one check per watch.

`flock` on one small file per lock under `<database>.locks/`: the kernel releases it when the
holder dies (kill -9 included), so a crash never leaves a stale lock behind. flock locks belong
to an open file, so threads of one process exclude each other as well as other processes.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

from watcher.storage.records import StoreError


class LockDir:
    """A folder of lock files (created 0700 on first use)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _file(self, key: str) -> Path:
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", key)[:120]
        return self.root / f"{safe}.lock"

    @contextlib.contextmanager
    def hold(
        self, key: str, *, wait: bool = True, timeout: float = 600.0, what: str = ""
    ) -> Iterator[None]:
        """Hold lock `key`. wait=False: fail at once with StoreError if another holds it;
        wait=True: wait up to `timeout` seconds, then StoreError."""
        try:
            self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
            path = self._file(key)
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        except OSError as e:
            # A read-only file system: reading commands still work; writers fail on the db.
            if e.errno in (30, 13):  # EROFS, EACCES
                yield
                return
            raise StoreError(
                f"cannot create lock file under {self.root}: {e.strerror or e}"
            ) from None
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if not wait:
                        holder = _read_pid(fd)
                        who = what or f"another process ({key})"
                        pid = f" (pid {holder})" if holder else ""
                        raise StoreError(
                            f"{who} is already running on this database{pid}"
                        ) from None
                    if time.monotonic() > deadline:
                        raise StoreError(
                            f"waited {timeout:.0f} s for lock {key} held by another process"
                        ) from None
                    time.sleep(0.05)
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            try:
                yield
            finally:
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, 0)
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)


def _read_pid(fd: int) -> str:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        return os.read(fd, 32).decode("ascii", "replace").strip()
    except OSError:
        return ""
