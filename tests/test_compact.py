"""The compact model scores as the pipeline does, loads without scikit-learn, and is trust-checked like the rest."""
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from scipy.sparse import csr_matrix

from features.pipeline import read_ad
from screener.compact import COMPACT_PART, CompactModel, compile_model
from screener.config import DEFAULT_DATA, ROOT
from screener.errors import ModelError
from screener.scoring import load_scorer
from screener.store import DEFAULT_VERSION, ModelStore


@pytest.fixture(scope="module")
def pipeline_and_compact(trained_models):
    store = ModelStore(trained_models)
    model, _ = store.load(DEFAULT_VERSION)
    schemes = store.load_parts(DEFAULT_VERSION, ("schemes",))["schemes"]
    return model, schemes, CompactModel(store.load_parts(DEFAULT_VERSION, (COMPACT_PART,))[COMPACT_PART])


def test_compact_scores_and_schemes_match_the_pipeline_on_the_corpus(pipeline_and_compact):
    model, schemes, compact = pipeline_and_compact
    texts = pd.read_csv(DEFAULT_DATA)["text"].tolist()
    texts += ["", "   ", "x", "12345", "加微信", "保本 保息 年化 18%", "a" * 3, "🉐💰💰", "養老公寓 床位", "𠀀萬 起投\n月返", "a\tb  c"]
    ads = [read_ad(t) for t in texts]
    X = compact.transform(ads)
    expected = model.estimator.named_steps["features"].transform(ads).tocsr()
    assert np.abs(compact.proba(X) - model.estimator.named_steps["clf"].predict_proba(expected)[:, 1]).max() < 1e-9
    np.testing.assert_array_equal(X.indptr, expected.indptr)
    # The same features with the same weights: the n-grams counted in numpy are the vectorizers' n-grams.
    got = csr_matrix((X.data, X.indices, X.indptr), shape=expected.shape)
    assert abs(got - expected).max() < 1e-12
    rows = np.flatnonzero(np.diff(X.indptr) > 0)[:500]
    scheme_expected = schemes.predict_proba(expected[rows])
    scheme_got = np.array([compact.scheme_proba(X, r) for r in rows])
    assert np.abs(scheme_got - scheme_expected).max() < 1e-4  # scheme weights are kept as float32
    assert compact.scheme_classes == [str(c) for c in schemes.classes_]


def test_feature_names_follow_the_pipeline(pipeline_and_compact):
    model, _, compact = pipeline_and_compact
    names = model.estimator.named_steps["features"].get_feature_names_out()
    for j in [0, 1, compact.char_offset - 1, compact.char_offset, compact.flag_offset - 1, compact.flag_offset,
              len(names) - 1]:
        assert compact.feature_name(j) == names[j]


def test_a_single_ad_is_scored_without_loading_scikit_learn_pandas_or_scipy(models_dir):
    probe = ("import sys; from screener.scoring import load_scorer; "
             f"r = load_scorer({str(models_dir)!r}).analyse(['保本保息 年化18% 加微信'])[0]; "
             "print(r.flagged, [m for m in ('sklearn', 'pandas', 'scipy', 'joblib', 'pypinyin') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.split(" ", 1) == ["True", "[]\n"]


def test_a_changed_compact_file_is_refused(models_dir):
    path = models_dir / DEFAULT_VERSION / f"{COMPACT_PART}.npz"
    with np.load(path) as arrays:
        changed = {k: arrays[k] for k in arrays.files}
    changed["coef"] = changed["coef"] * 2
    np.savez(path, **changed)
    with pytest.raises(ModelError, match="sha256 不符"):
        load_scorer(models_dir)


def test_a_version_saved_without_its_arrays_is_scored_the_same(models_dir):
    expected = load_scorer(models_dir).scores(["保本保息 年化18% 加微信", "本店周末满100减20"])
    meta_path = models_dir / DEFAULT_VERSION / "metadata.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    del meta["files"][f"{COMPACT_PART}.npz"]
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    (models_dir / DEFAULT_VERSION / f"{COMPACT_PART}.npz").unlink()
    scorer = load_scorer(models_dir)
    np.testing.assert_allclose(scorer.scores(["保本保息 年化18% 加微信", "本店周末满100减20"]), expected, atol=1e-6)
    assert scorer.analyse(["保本保息 年化18% 加微信"])[0].scheme is not None


def test_arrays_from_another_set_of_red_flags_are_refused(pipeline_and_compact):
    model, schemes, _ = pipeline_and_compact
    arrays = compile_model(model, schemes)
    arrays["flag_names"] = np.frombuffer("renamed".encode(), dtype=np.uint8)
    with pytest.raises(ModelError, match="重新训练"):
        CompactModel(arrays)


def test_arrays_missing_a_part_are_refused(pipeline_and_compact):
    model, schemes, _ = pipeline_and_compact
    arrays = compile_model(model, schemes)
    del arrays["coef"]
    with pytest.raises(ModelError, match="缺少 coef"):
        CompactModel(arrays)


def test_top_terms_add_up_the_features_that_read_the_same(models_dir):
    """The explanation merges features into the terms an inspector reads, ranks them by weight, ties in order
    of the first feature: checked against the same rule written plainly, over a thousand corpus ads."""
    scorer = load_scorer(models_dir)
    ads = [read_ad(t) for t in pd.read_csv(DEFAULT_DATA)["text"].tolist()[::13]]
    X = scorer.compact.transform(ads)
    merged_somewhere = False
    for i in range(len(ads)):
        row = slice(X.indptr[i], X.indptr[i + 1])
        indices, values = X.indices[row], X.data[row]
        merged: dict[str, float] = {}
        for j, w in zip(indices.tolist(), (values * scorer.compact.coef[indices]).tolist()):
            if scorer.term(j) is not None:
                merged_somewhere |= scorer.term(j) in merged
                merged[scorer.term(j)] = merged.get(scorer.term(j), 0.0) + w
        plain = [(t, round(w, 4)) for t, w in sorted(merged.items(), key=lambda kv: -abs(kv[1]))[:8] if abs(w) > 1e-9]
        assert [(t.term, t.weight) for t in scorer._top_terms(indices, values, 8)] == plain
    assert merged_somewhere  # a character and a word n-gram of one word, shown once


def test_the_hash_and_the_binary_search_find_the_same_n_grams(pipeline_and_compact):
    """Batch work looks n-grams up in a hash index, a single ad by binary search: the same columns either way."""
    _, _, compact = pipeline_and_compact
    texts = [read_ad(t).model_text for t in pd.read_csv(DEFAULT_DATA)["text"].tolist()[::7]]
    rng = np.random.default_rng(0)
    for lookup, keys in ((compact.chars.lookup, compact.chars.lookup.keys), (compact.words.lookup,
                                                                                compact.words.lookup.keys)):
        # the vocabulary's own keys, keys it lacks, shuffled, with row numbers
        needles = np.concatenate([keys, keys + 1, keys[:100]])
        rng.shuffle(needles)
        rows = np.sort(rng.integers(0, len(texts), len(needles)))
        by_hash, by_search = lookup.find_by_hash(rows, needles), lookup.find_by_search(rows, needles)
        found_hash = sorted(zip(by_hash[0].tolist(), by_hash[1].tolist()))
        assert found_hash == sorted(zip(by_search[0].tolist(), by_search[1].tolist()))
        assert len(found_hash) >= len(keys) + 100
