"""Scoring ads with a saved model: score, risk level, red flags and the terms that weighed most."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from .errors import InputError, ModelError
from .normalise import clean
from .redflags import FEATURE_LABELS, find_red_flags, warning_context
from .store import DEFAULT_VERSION, ModelStore

MAX_CHARS = 20_000
TOP_TERMS = 6
HIGH, MEDIUM, LOW = "高", "中", "低"
_CJK = re.compile(r"[\u3400-\u9fff]")
_TOKEN_LABELS = {"xxphone": "〈电话号码〉", "xxwechat": "〈微信号〉", "xxqq": "〈QQ号〉", "xxurl": "〈链接〉",
                 "xxpcta": "〈百分比≤3%〉", "xxpctb": "〈百分比3-6%〉", "xxpctc": "〈百分比6-10%〉",
                 "xxpctd": "〈百分比10-20%〉", "xxpcte": "〈百分比>20%〉"}
_ASCII = re.compile(r"^[\x00-\x7f]*$")


def _display_term(feature: str) -> str | None:
    """How a model feature reads to an inspector, or None for fragments that mean nothing alone."""
    kind, _, term = feature.partition("__")
    if kind == "red_flags":
        return f"[{FEATURE_LABELS.get(term, term)}]"
    if kind == "chars":
        term = term.strip().replace(" ", "")
        if len(term) < 2 or _ASCII.match(term):
            return None
        return term
    if len(term) < 2:  # a lone character or digit says nothing to a reader
        return None
    return " ".join(_TOKEN_LABELS.get(w, w) for w in term.split(" "))


class Screener:
    """A loaded model and everything needed to explain its scores."""

    def __init__(self, pipeline, metadata: dict):
        self.pipeline = pipeline
        self.metadata = metadata
        self.version = metadata.get("version", "?")
        self.threshold = float(metadata["threshold"])
        self.high_cut = float(metadata.get("levels", {}).get(HIGH, max(0.8, self.threshold)))
        self._features = pipeline.named_steps["features"]
        self._clf = pipeline.named_steps["clf"]
        self._coef = self._clf.coef_.ravel()
        self._terms = None

    @property
    def terms(self) -> list:
        if self._terms is None:
            self._terms = [_display_term(f) for f in self._features.get_feature_names_out()]
        return self._terms

    def level(self, score: float) -> str:
        return HIGH if score >= self.high_cut else MEDIUM if score >= self.threshold else LOW

    def scores(self, texts) -> np.ndarray:
        """Probabilities only, the fast path."""
        return self.pipeline.predict_proba(list(texts))[:, 1]

    def analyse(self, texts, top_terms: int = TOP_TERMS) -> list[dict]:
        """Full results for texts already checked by ``check_text``."""
        if not texts:
            return []
        cleaned = [clean(t) for t in texts]
        X = self._features.transform([c.text for c in cleaned]).tocsr()
        scores = self._clf.predict_proba(X)[:, 1]
        results = []
        for i, (text, c) in enumerate(zip(texts, cleaned)):
            score = round(float(scores[i]), 6)
            row = slice(X.indptr[i], X.indptr[i + 1])
            results.append({
                "score": score,
                "level": self.level(score),
                "flagged": bool(score >= self.threshold),
                "red_flags": [h.as_dict() for h in find_red_flags(text, c)],
                "warning_context": [h.evidence for h in warning_context(text, c)],
                "top_terms": self._top_terms(X.indices[row], X.data[row], top_terms),
                "model": self.version,
            })
        return results

    def _top_terms(self, indices, values, k: int) -> list[dict]:
        merged: dict[str, float] = {}
        for j, v in zip(indices, values):
            term = self.terms[j]
            if term is not None:
                merged[term] = merged.get(term, 0.0) + float(v * self._coef[j])
        ranked = sorted(merged.items(), key=lambda kv: -abs(kv[1]))[:k]
        return [{"term": t, "weight": round(w, 4)} for t, w in ranked if abs(w) > 1e-9]


def check_text(text) -> tuple[str, list[str]]:
    """An ad ready to score, and warnings; raises InputError when there is nothing to score."""
    if not isinstance(text, str):
        raise InputError(f"not text ({type(text).__name__})")
    if not text.strip():
        raise InputError("the ad is empty")
    warnings = []
    if len(text) > MAX_CHARS:
        warnings.append(f"the ad is {len(text):,} characters long; only the first {MAX_CHARS:,} were scored")
        text = text[:MAX_CHARS]
    if not _CJK.search(text):
        warnings.append("the ad has no Chinese characters; the model reads Chinese ads, so this score says little")
    return text, warnings


def score_ads(screener: Screener, texts) -> list[dict]:
    """One result per text, in order: the full analysis, or ``{"error": ...}`` for one that cannot be scored."""
    checked = []
    for t in texts:
        try:
            checked.append(check_text(t))
        except InputError as e:
            checked.append(e)
    analysed = iter(screener.analyse([c[0] for c in checked if not isinstance(c, Exception)]))
    results = []
    for c in checked:
        if isinstance(c, Exception):
            results.append({"error": str(c), "model": screener.version})
            continue
        result = next(analysed)
        if c[1]:
            result["warnings"] = c[1]
        results.append(result)
    return results


def open_screener(models_root: str | Path, version: str | None = None, data_path: str | Path | None = None,
                  notify=None) -> Screener:
    """Load a model; build the built-in default from the corpus when there is none yet.

    The default model is also rebuilt when it was saved under other library versions,
    since it can always be made again from data/ads.csv.
    """
    from .training import fit_corpus

    store = ModelStore(models_root)
    wanted = version or store.current()
    if wanted is None or (wanted == DEFAULT_VERSION and not store.path(DEFAULT_VERSION).exists()):
        if version is not None and version != DEFAULT_VERSION:
            raise ModelError(f"no model version {version!r} in {models_root}; see `python train.py models`")
        if data_path is None or not Path(data_path).is_file():
            raise ModelError(f"there is no model in {models_root} and no corpus to build one from; "
                             "run `python train.py fit --data FILE`")
        if notify:
            notify(f"no model yet: building the built-in model from {data_path} (once, about ten seconds)")
        fit_corpus(data_path, store, DEFAULT_VERSION, notify=notify, make_current=store.current() is None)
        wanted = DEFAULT_VERSION
    try:
        pipeline, meta = store.load(wanted)
    except ModelError as e:
        if wanted != DEFAULT_VERSION or "other library versions" not in str(e) or data_path is None:
            raise
        if notify:
            notify(f"{e}\nrebuilding the built-in model from {data_path}")
        fit_corpus(data_path, store, DEFAULT_VERSION, notify=notify, make_current=store.current() == DEFAULT_VERSION)
        pipeline, meta = store.load(wanted)
    return Screener(pipeline, meta)
