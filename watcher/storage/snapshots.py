"""Raw captures on disk: content-addressed by sha256, zstd-compressed, written atomically.

A snapshot file exists before any database row names it, so a crash between the two leaves at
most an unreferenced file, never a row pointing at nothing.
"""

from __future__ import annotations

import contextlib
import os
import stat
import threading
from pathlib import Path

import zstandard

from watcher.storage.records import StoreError, sha256_hex

_ZSTD_LEVEL = 9


class Snapshots:
    """The `snapshots/` folder: `ab/<sha256>.zst` files, private (0700 folders, 0600 files)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / f"{sha256}.zst"

    def put(self, body: bytes) -> str:
        """Write raw bytes content-addressed (atomically); return their sha256."""
        digest = sha256_hex(body)
        path = self.path(digest)
        if path.exists():
            return digest
        try:
            self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
            _private_dir(self.root)
            path.parent.mkdir(exist_ok=True, mode=0o700)
            _private_dir(path.parent)
            data = zstandard.ZstdCompressor(level=_ZSTD_LEVEL).compress(body)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
            # O_EXCL | O_NOFOLLOW: never write through a symlink planted in our folder.
            fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_NOFOLLOW, 0o600)
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(tmp, path)
            finally:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp)
        except OSError as e:
            raise StoreError(
                f"cannot write snapshot under {self.root}: {e.strerror or e}"
            ) from None
        return digest

    def get(self, sha256: str) -> bytes:
        path = self.path(sha256)
        try:
            return zstandard.ZstdDecompressor().decompress(path.read_bytes())
        except FileNotFoundError:
            raise StoreError(f"snapshot {sha256} is missing from {self.root}") from None
        except zstandard.ZstdError as e:
            raise StoreError(f"snapshot {path} is corrupt: {e}") from None
        except OSError as e:
            raise StoreError(f"cannot read snapshot {path}: {e.strerror or e}") from None


def _private_dir(path: Path) -> None:
    """chmod 0700 a folder we own, never following a symlink to somewhere else."""
    st = os.lstat(path)
    if stat.S_ISLNK(st.st_mode):
        raise OSError(f"{path} is a symbolic link; refusing to use it")
    if stat.S_IMODE(st.st_mode) != 0o700:
        os.chmod(path, 0o700)
