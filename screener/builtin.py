"""The built-in model: trained once from the shipped corpus when it is wanted and missing, and again when
it was saved under other library versions. The check is light; scikit-learn is loaded only to train."""
from __future__ import annotations

from pathlib import Path

from .errors import LibraryVersionError, ModelError
from .store import DEFAULT_VERSION, ModelStore, check_libraries


def ensure_builtin_model(models_root: str | Path, data_path: str | Path, version: str | None = None,
                         notify=None) -> None:
    """Build the built-in model when it is wanted and missing, or was saved under other library versions.

    The only place outside ``train.py fit`` where a model is trained: the front ends call it
    before loading, so loading itself never trains.
    """
    notify = notify or (lambda message: None)
    store = ModelStore(models_root)
    wanted = version or store.current()
    if wanted is None or (wanted == DEFAULT_VERSION and not store.path(DEFAULT_VERSION).exists()):
        if version is not None and version != DEFAULT_VERSION:
            raise ModelError(f"{models_root} 中没有模型版本 {version!r}；可用 `python train.py models` 查看")
        if data_path is None or not Path(data_path).is_file():
            raise ModelError(f"{models_root} 中没有模型，也没有可用于训练的语料；"
                             "请运行 `python train.py fit --data 文件`")
        notify(f"还没有模型：正在用 {data_path} 训练内置模型（只需一次，约一分钟以内）")
        from .training import fit_corpus

        fit_corpus(data_path, store, DEFAULT_VERSION, notify=notify, make_current=store.current() is None)
        return
    if wanted == DEFAULT_VERSION:
        try:
            check_libraries(store.read_metadata(DEFAULT_VERSION))
        except LibraryVersionError as e:
            from .training import fit_corpus

            notify(f"{e}\n正在用 {data_path} 重建内置模型")
            fit_corpus(data_path, store, DEFAULT_VERSION, notify=notify,
                       make_current=store.current() == DEFAULT_VERSION)
