"""Saved models: one folder per version, a pointer to the current one, and checks before loading.

Layout of a models folder::

    models/
      current          the name of the current version
      trusted.json     sha256 of every model file this installation wrote
      default/         the built-in model, trained on data/ads.csv
        model.joblib   the scikit-learn pipeline (what training tunes, compares and adapts)
        compact.npz    the same model as plain arrays (what scoring reads; see ``compact``)
        schemes.joblib the scheme classifier
        metadata.json  format version, libraries, data hash, parameters, metrics, threshold, sha256 of each file
      v2/ ...

A model file is unpickled only after its sha256 matches both its own metadata and
the trusted list: a file changed after saving, or copied in from elsewhere, is
refused before any of its code can run (``train.py trust`` accepts a foreign one
on purpose).
"""
from __future__ import annotations

import functools
import json
import os
import platform
import re
import shutil
import tempfile
import warnings
from contextlib import contextmanager
from importlib import metadata as importlib_metadata
from pathlib import Path

import numpy as np

from .errors import LibraryVersionError, ModelError
from .files import now_iso, sha256_file, write_json_atomic, write_text_atomic

FORMAT_VERSION = 1
MODEL_FILE = "model.joblib"
METADATA_FILE = "metadata.json"
CURRENT_FILE = "current"
TRUSTED_FILE = "trusted.json"
LOCK_FILE = "writer.lock"
CANDIDATE_KINDS = ("add", "adapt")
_held: dict[str, int] = {}  # models folders whose writer lock this process holds, and how deep
DEFAULT_VERSION = "default"
LIBRARIES = ("scikit-learn", "numpy", "scipy", "joblib", "jieba", "rjieba", "opencc", "pandas")
# Libraries whose version changes what a pickled pipeline means.
PICKLE_SENSITIVE = ("scikit-learn", "numpy", "scipy")
_VERSION_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def library_versions() -> dict:
    versions = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            versions[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def one_writer(func):
    """Run ``func(..., store=ModelStore)`` holding that store's writer lock (see ``ModelStore.writer``)."""
    @functools.wraps(func)
    def holding_lock(*args, store: "ModelStore", **kwargs):
        with store.writer():
            return func(*args, store=store, **kwargs)
    return holding_lock


def _uncompared(meta: dict) -> bool:
    """A candidate of add or adapt that was saved but never compared and promoted."""
    return meta.get("kind") in CANDIDATE_KINDS and meta.get("promoted") is not True


def _major_minor(version: str | None) -> tuple:
    return tuple((version or "").split(".")[:2])


class ModelStore:
    """The versions in a models folder and which one is current."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    # --- versions -------------------------------------------------------
    def path(self, version: str) -> Path:
        return self.root / version

    def _folders(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return [p.name for p in self.root.iterdir() if p.is_dir() and (p / METADATA_FILE).is_file()
                and not p.name.startswith(".")]

    def versions(self) -> list[str]:
        """Complete versions, oldest first: a candidate counts only once it was compared and promoted."""
        current = self.current()
        metadata = {v: self.read_metadata(v) for v in self._folders()}
        found = [v for v, meta in metadata.items() if v == current or not _uncompared(meta)]
        return sorted(found, key=lambda v: (metadata[v].get("created_at", ""), v))

    @contextmanager
    def writer(self):
        """One training at a time per models folder: a lock the system releases if the holder dies.

        The holder also removes what killed runs left: staging folders and candidates never compared.
        """
        import fcntl

        key = str(self.root.resolve())
        if _held.get(key):
            _held[key] += 1
            try:
                yield
            finally:
                _held[key] -= 1
            return
        self.root.mkdir(parents=True, exist_ok=True)
        lock = open(self.root / LOCK_FILE, "a+", encoding="utf-8")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            holder = lock.read().strip() or "?"
            lock.close()
            raise ModelError(f"另一个训练正在进行（pid {holder}），它在写 {self.root}；请等它完成后再试") from None
        try:
            lock.seek(0)
            lock.truncate()
            lock.write(str(os.getpid()))
            lock.flush()
            _held[key] = 1
            self._remove_debris()
            yield
        finally:
            _held.pop(key, None)
            lock.seek(0)
            lock.truncate()
            lock.close()  # closing releases the lock

    def _remove_debris(self) -> None:
        """Staging folders of saves that never finished, and candidates a killed run never compared."""
        for p in self.root.iterdir():
            if p.is_dir() and p.name.startswith("."):
                shutil.rmtree(p, ignore_errors=True)
        for v in self._folders():
            if v != self.current() and _uncompared(self.read_metadata(v)):
                self.remove(v)

    def current(self) -> str | None:
        f = self.root / CURRENT_FILE
        if not f.is_file():
            return None
        name = f.read_text(encoding="utf-8").strip()
        return name or None

    def set_current(self, version: str) -> None:
        if not (self.path(version) / METADATA_FILE).is_file():
            raise ModelError(f"{self.root} 中没有模型版本 {version!r}；可用 `python train.py models` 查看")
        write_text_atomic(self.root / CURRENT_FILE, version + "\n")

    def next_version(self) -> str:
        numbers = [int(m.group(1)) for v in self._folders() if (m := re.fullmatch(r"v(\d+)", v))]
        return f"v{max(numbers, default=1) + 1}"

    def read_metadata(self, version: str) -> dict:
        return read_metadata(self.path(version))

    def update_metadata(self, version: str, extra: dict) -> None:
        """Add facts learnt after saving (such as a comparison) to a version's metadata."""
        write_json_atomic(self.path(version) / METADATA_FILE, {**self.read_metadata(version), **extra})

    def remove(self, version: str) -> None:
        if version == self.current():
            raise ModelError(f"{version} 是当前模型；请先回退到其他版本")
        digests = set((self.read_metadata(version).get("files") or {}).values()) if self.path(version).exists() else set()
        shutil.rmtree(self.path(version), ignore_errors=True)
        still_used = {d for v in self._folders() for d in (self.read_metadata(v).get("files") or {}).values()}
        forgotten = (digests - still_used) & self.trusted()
        if forgotten:
            write_json_atomic(self.root / TRUSTED_FILE, {"sha256": sorted(self.trusted() - forgotten)})

    def rollback(self, version: str | None = None) -> tuple[str, str | None]:
        """Make an earlier version current (default: the one before the current); returns (new, old)."""
        with self.writer():
            versions, current = self.versions(), self.current()
            if version is None:
                if current not in versions or versions.index(current) == 0:
                    raise ModelError("没有更早的版本可以回退；可用 `python train.py models` 查看")
                version = versions[versions.index(current) - 1]
            if version not in versions:
                raise ModelError(f"{self.root} 中没有完成比较的模型版本 {version!r}；可用 `python train.py models` 查看")
            self.load(version)  # refuse a version that would not load
            self.set_current(version)
            return version, current

    def describe(self) -> list[dict]:
        """One row per version, oldest first: name, whether current, creation, kind, test metrics, threshold."""
        current, rows = self.current(), []
        for v in self.versions():
            meta = self.read_metadata(v)
            test = (meta.get("metrics") or {}).get("test") or {}
            rows.append({"version": v, "current": v == current, "created_at": meta.get("created_at", "?"),
                         "kind": meta.get("kind", "?"), "test_f1": test.get("f1", "-"),
                         "test_roc_auc": test.get("roc_auc", "-"), "threshold": meta.get("threshold", "-"),
                         "adapted_to": (meta.get("background") or {}).get("file", "-")})
        return rows

    # --- trust ----------------------------------------------------------
    def trusted(self) -> set[str]:
        f = self.root / TRUSTED_FILE
        if not f.is_file():
            return set()
        try:
            return set(json.loads(f.read_text(encoding="utf-8")).get("sha256", []))
        except (json.JSONDecodeError, AttributeError):
            raise ModelError(f"{f} 已损坏；请删除它，并对每个信任的模型运行 `python train.py trust`")

    def trust(self, *digests: str) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        write_json_atomic(self.root / TRUSTED_FILE, {"sha256": sorted(self.trusted() | set(digests))})

    # --- save and load --------------------------------------------------
    def save(self, pipeline, metadata: dict, version: str, replace: bool = False, parts: dict | None = None) -> Path:
        """Write a version atomically: a hidden folder is filled, then renamed into place.

        ``parts`` are further objects saved beside the model, hashed and trusted alike: a dict of numpy
        arrays as ``NAME.npz`` (read back without unpickling), anything else as ``NAME.joblib``.
        """
        if not _VERSION_NAME.match(version):
            raise ModelError(f"版本名 {version!r} 无效：只能用字母、数字、'.'、'_' 或 '-'")
        self.root.mkdir(parents=True, exist_ok=True)
        target = self.path(version)
        if target.exists() and not replace:
            raise ModelError(f"{self.root} 中已有模型版本 {version!r}")
        staging = Path(tempfile.mkdtemp(prefix=f".{version}.", dir=self.root))
        try:
            files = {}
            import joblib

            for name, obj in {MODEL_FILE: pipeline, **{_part_file(k, v): v for k, v in (parts or {}).items()}}.items():
                if name.endswith(".npz"):
                    np.savez(staging / name, **obj)
                else:
                    joblib.dump(obj, staging / name, compress=3)
                files[name] = sha256_file(staging / name)
            meta = {"format_version": FORMAT_VERSION, "version": version, "created_at": now_iso(),
                    "libraries": library_versions(), **metadata, "files": files}
            write_json_atomic(staging / METADATA_FILE, meta)
            self.trust(*files.values())
            if target.exists():
                old = Path(tempfile.mkdtemp(prefix=f".{version}.old.", dir=self.root))
                os.replace(target, old / version)
                os.replace(staging, target)
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.replace(staging, target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return target

    def check(self, version: str | None = None) -> dict:
        """The metadata of a version (the current one by default) that this program can load."""
        version = version or self.current()
        if version is None:
            raise ModelError(f"{self.root} 中没有当前模型；请用 `python train.py fit` 训练一个")
        directory = self.path(version)
        if not directory.is_dir():
            raise ModelError(f"{self.root} 中没有模型版本 {version!r}；可用 `python train.py models` 查看")
        return check_model_dir(directory)

    def load(self, version: str | None = None):
        """(pipeline, metadata) of a version, the current one by default, after all checks."""
        version = version or self.current()
        meta = self.check(version)
        return _verified_load(self.path(version) / MODEL_FILE, meta, self.trusted()), meta

    def verify(self, version: str | None = None) -> dict:
        """The metadata of a version after every file it lists has matched its sha256 and the trusted list:
        a version with any changed file is refused whole, whichever of its files a caller reads."""
        version = version or self.current()
        meta, trusted = self.check(version), self.trusted()
        for name in meta.get("files") or {}:
            _verify_file(self.path(version) / name, meta, trusted)
        return meta

    def read_verified(self, version: str, name: str):
        """A file of a version that ``verify`` has checked (``name`` with its extension)."""
        return _load_file(self.path(version) / name)

    def load_parts(self, version: str, names: tuple[str, ...] | None = None) -> dict:
        """The objects saved beside a version's model (see ``save``), all or those ``names``, after the same
        checks."""
        directory, trusted = self.path(version), self.trusted()
        meta = read_metadata(directory)
        return {Path(name).stem: _verified_load(directory / name, meta, trusted)
                for name in (meta.get("files") or {})
                if name != MODEL_FILE and (names is None or Path(name).stem in names)}


def _part_file(name: str, obj) -> str:
    is_arrays = isinstance(obj, dict) and obj and all(isinstance(v, np.ndarray) for v in obj.values())
    return f"{name}.npz" if is_arrays else f"{name}.joblib"


def read_metadata(directory: Path) -> dict:
    f = Path(directory) / METADATA_FILE
    if not f.is_file():
        raise ModelError(f"{directory} 不是模型文件夹：缺少 {METADATA_FILE}；"
                         "请用 `python train.py fit` 训练模型")
    try:
        meta = json.loads(f.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ModelError(f"{f} 已损坏（不是 JSON）；请用 `python train.py fit` 重新训练模型") from None
    if not isinstance(meta, dict):
        raise ModelError(f"{f} 已损坏（不是 JSON 对象）；请用 `python train.py fit` 重新训练模型")
    return meta


def check_libraries(meta: dict) -> None:
    """Raise LibraryVersionError when a model was pickled under other versions of the libraries it needs."""
    saved = meta.get("libraries") or {}
    installed = library_versions()
    changed = [f"{n} {saved.get(n)} -> {installed.get(n)}" for n in PICKLE_SENSITIVE
               if _major_minor(saved.get(n)) != _major_minor(installed.get(n))]
    if changed:
        raise LibraryVersionError(f"模型 {meta.get('version')} 是在其他库版本下保存的"
                                  f"（{', '.join(changed)}）；请用 `python train.py fit` 从数据重新训练"
                                  "（内置模型会自动重建）")


def check_model_dir(directory: Path) -> dict:
    """The metadata of a model folder saved in this program's format under compatible libraries."""
    directory = Path(directory)
    meta = read_metadata(directory)
    if meta.get("format_version") != FORMAT_VERSION:
        raise ModelError(f"{directory} 中的模型格式为 {meta.get('format_version')!r}；本程序读取格式 "
                         f"{FORMAT_VERSION}。请用 `python train.py fit` 重新训练")
    check_libraries(meta)
    return meta


def _verified_load(model_file: Path, meta: dict, trusted: set[str]):
    """Unpickle one file of a model folder, only after its sha256 matches the metadata and the trusted list."""
    _verify_file(model_file, meta, trusted)
    return _load_file(model_file)


def _verify_file(model_file: Path, meta: dict, trusted: set[str]) -> None:
    directory = model_file.parent
    if not model_file.is_file():
        raise ModelError(f"{directory} 缺少 {model_file.name}；请用 `python train.py fit` 重新训练模型")
    digest = sha256_file(model_file)
    expected = (meta.get("files") or {}).get(model_file.name)
    if digest != expected:
        raise ModelError(f"{model_file} 与元数据中的 sha256 不符：保存后被改动或损坏，"
                         "拒绝加载。请用 `python train.py fit` 重新训练，或用 `python train.py rollback` "
                         "换用其他版本")
    if digest not in trusted:
        raise ModelError(f"{model_file} 不是本机训练的（sha256 不在信任列表中）。加载模型会运行其中的代码；"
                         f"如确认来源可靠，请用 `python train.py trust {directory}` 接受它")


def _load_file(model_file: Path):
    try:
        if model_file.suffix == ".npz":  # plain arrays: nothing in them can run
            with np.load(model_file, allow_pickle=False) as arrays:
                return {k: arrays[k] for k in arrays.files}
        import joblib

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return joblib.load(model_file)
    except Exception as e:
        raise ModelError(f"{model_file} 无法加载（{type(e).__name__}: {e}）；请用 "
                         "`python train.py fit` 重新训练") from None



def trust_model_dir(store: ModelStore, directory: Path) -> str:
    """Accept a model folder from elsewhere after checking it is consistent."""
    meta = read_metadata(directory)
    model_file = Path(directory) / MODEL_FILE
    if not model_file.is_file():
        raise ModelError(f"{directory} 缺少 {MODEL_FILE}")
    digest = sha256_file(model_file)
    if digest != (meta.get("files") or {}).get(MODEL_FILE):
        raise ModelError(f"{model_file} 与元数据中的 sha256 不符：已被改动或损坏，"
                         "拒绝信任")
    for name, expected in (meta.get("files") or {}).items():
        if name != MODEL_FILE and (not (Path(directory) / name).is_file() or sha256_file(Path(directory) / name) != expected):
            raise ModelError(f"{Path(directory) / name} 与元数据中的 sha256 不符，拒绝信任")
    store.trust(*(meta.get("files") or {}).values())
    return digest
