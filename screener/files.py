"""Files written safely: sha256 of a file, atomic replacement, timestamps for records."""
from __future__ import annotations

import glob
import hashlib
import json
import os
import stat
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


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_partials(path: str | Path) -> int:
    """Remove the hidden partial files of path left by writers that were killed (their pid is gone)."""
    target = Path(path)
    removed = 0
    for partial in target.resolve().parent.glob(f".{glob.escape(target.name)}.*.partial"):
        pid = partial.name[len(target.name) + 2:].split(".", 1)[0]
        if pid.isdigit() and not process_alive(int(pid)):
            partial.unlink(missing_ok=True)
            removed += 1
    return removed


@contextmanager
def atomic_file(path: str | Path, mode: str = "w", encoding: str | None = "utf-8", newline: str | None = ""):
    """Write to a hidden temporary file beside path; rename it into place only on success.

    The temporary name carries the writer's pid, so that what a killed writer left is removed
    by the next write of the same file. Yields (file object, temporary path).
    """
    target = Path(path)
    remove_stale_partials(target)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".partial",
                               dir=target.resolve().parent)
    os.close(fd)
    try:
        kwargs = {} if "b" in mode else {"encoding": encoding, "newline": newline}
        with open(tmp, mode, **kwargs) as f:
            yield f, tmp
            f.flush()
            os.fsync(f.fileno())
        if target.exists():  # a replaced file keeps its permissions
            os.chmod(tmp, stat.S_IMODE(target.stat().st_mode))
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
