"""Files written safely: sha256 of a file, atomic replacement, timestamps for records."""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def now_iso() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


@contextmanager
def atomic_file(path: str | Path, mode: str = "w", encoding: str | None = "utf-8", newline: str | None = ""):
    """Write to a hidden temporary file beside path; rename it into place only on success.

    Yields (file object, temporary path).
    """
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.resolve().parent)
    os.close(fd)
    try:
        kwargs = {} if "b" in mode else {"encoding": encoding, "newline": newline}
        with open(tmp, mode, **kwargs) as f:
            yield f, tmp
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def write_json_atomic(path: str | Path, obj) -> None:
    with atomic_file(path, newline=None) as (f, _):
        json.dump(obj, f, ensure_ascii=False, indent=2)


def write_text_atomic(path: str | Path, text: str) -> None:
    with atomic_file(path, newline=None) as (f, _):
        f.write(text)
