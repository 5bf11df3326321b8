"""The model store on its own: save, load, tamper, trust, rollback, library versions."""
import json

import pytest
from sklearn.linear_model import LogisticRegression

from screener.errors import LibraryVersionError, ModelError
from screener.store import ModelStore, check_libraries, library_versions, trust_model_dir


def tiny_model(c: float = 1.0):
    return LogisticRegression(C=c).fit([[0.0], [1.0], [0.2], [0.9]], [0, 1, 0, 1])


def save(store, version, c: float = 1.0, **meta):
    """Models saved with different C pickle to different bytes."""
    return store.save(tiny_model(c), {"kind": "test", "threshold": 0.5, **meta}, version)


def test_save_then_load_round_trips_with_metadata(tmp_path):
    store = ModelStore(tmp_path)
    save(store, "v1", note="first")
    model, meta = store.load("v1")
    assert model.predict([[1.0]]).tolist() == [1]
    assert meta["version"] == "v1" and meta["note"] == "first" and meta["format_version"] == 1
    assert len(meta["files"]["model.joblib"]) == 64
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".") and p.is_dir()]


def test_a_version_is_not_overwritten_unless_asked(tmp_path):
    store = ModelStore(tmp_path)
    save(store, "v1")
    with pytest.raises(ModelError, match="中已有模型版本"):
        save(store, "v1")
    with pytest.raises(ModelError, match="无效"):
        save(store, "../escape")


def test_tampered_file_is_refused_before_unpickling(tmp_path):
    store = ModelStore(tmp_path)
    save(store, "v1")
    (tmp_path / "v1" / "model.joblib").write_bytes(b"cos\nsystem\n(S'echo owned'\ntR.")
    with pytest.raises(ModelError, match="与元数据中的 sha256 不符"):
        store.load("v1")


def test_foreign_model_needs_trust(tmp_path):
    save(ModelStore(tmp_path / "elsewhere"), "v7", c=0.3)
    mine = ModelStore(tmp_path / "mine")
    save(mine, "v1")
    (tmp_path / "mine" / "v7").mkdir()
    for name in ("model.joblib", "metadata.json"):
        (tmp_path / "mine" / "v7" / name).write_bytes((tmp_path / "elsewhere" / "v7" / name).read_bytes())
    with pytest.raises(ModelError, match="不是本机训练的"):
        mine.load("v7")
    trust_model_dir(mine, tmp_path / "mine" / "v7")
    assert mine.load("v7")[1]["version"] == "v7"


def test_rollback_moves_the_pointer_and_refuses_what_would_not_load(tmp_path):
    store = ModelStore(tmp_path)
    save(store, "v1")
    save(store, "v2", c=0.3)
    store.set_current("v2")
    assert store.rollback() == ("v1", "v2")
    assert store.current() == "v1"
    with pytest.raises(ModelError, match="没有更早的版本"):
        store.rollback()
    (tmp_path / "v2" / "model.joblib").write_bytes(b"broken")
    with pytest.raises(ModelError, match="sha256 不符"):
        store.rollback("v2")
    assert store.current() == "v1"
    assert [r["version"] for r in store.describe()] == ["v1", "v2"]
    assert [r["current"] for r in store.describe()] == [True, False]


def test_other_library_versions_raise_a_typed_error(tmp_path):
    store = ModelStore(tmp_path)
    save(store, "v1")
    meta_file = tmp_path / "v1" / "metadata.json"
    meta = json.loads(meta_file.read_text(encoding="utf-8"))
    meta["libraries"]["numpy"] = "1.0.0"
    meta_file.write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(LibraryVersionError, match=r"numpy 1\.0\.0 ->"):
        store.load("v1")
    check_libraries({"libraries": library_versions()})  # the running versions pass


def test_remove_forgets_trust_of_an_unused_file(tmp_path):
    store = ModelStore(tmp_path)
    save(store, "v1")
    save(store, "v2", c=0.3)
    store.set_current("v1")
    digest = store.read_metadata("v2")["files"]["model.joblib"]
    store.remove("v2")
    assert not (tmp_path / "v2").exists()
    with pytest.raises(ModelError, match="是当前模型"):
        store.remove("v1")
    assert store.read_metadata("v1")["files"]["model.joblib"] in store.trusted()
    assert digest not in store.trusted()
