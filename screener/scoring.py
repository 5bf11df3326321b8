"""Scoring ads with a saved model: score, risk level, red flags and the terms that weighed most.

A ``Scorer`` wraps a loaded model and never trains. The model is a scikit-learn
``FixedThresholdClassifier`` around the pipeline, so the threshold travels with it;
``RiskLevels`` derives the three levels from that threshold in one place.
"""
from __future__ import annotations

import re
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from features.ad import read_ad
from features.contacts import Contact
from features.normalise import HAS_CJK, LONE_SURROGATE
from features.redflags import FEATURE_LABELS, Hit

from .categories import OTHER_SCHEME, SCHEME_NAMES
from .compact import COMPACT_PART, CompactModel, Rows, compile_model
from .config import HIGH_LEVEL_FLOOR, MAX_CHARS
from .errors import InputError, ModelError
from .store import MODEL_FILE, ModelStore

SCHEMES_FILE = "schemes.joblib"  # the scheme classifier, saved beside the model by training

TOP_TERMS = 6
EXPLAIN_ALL, EXPLAIN_FLAGGED = "all", "flagged"
SCHEME_MIN_CONFIDENCE = 0.35  # below this the scheme is reported as "other"
HIGH, MEDIUM, LOW = "高", "中", "低"
_TOKEN_LABELS = {"xxphone": "〈电话号码〉", "xxwechat": "〈微信号〉", "xxqq": "〈QQ号〉", "xxurl": "〈链接〉",
                 "xxpcta": "〈百分比≤3%〉", "xxpctb": "〈百分比3-6%〉", "xxpctc": "〈百分比6-10%〉",
                 "xxpctd": "〈百分比10-20%〉", "xxpcte": "〈百分比>20%〉"}
_ASCII = re.compile(r"^[\x00-\x7f]*$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class RiskLevels:
    """高 from ``high``, 中 from ``threshold`` (flagged), 低 below."""

    threshold: float
    high: float

    @classmethod
    def for_threshold(cls, threshold: float) -> "RiskLevels":
        return cls(float(threshold), max(HIGH_LEVEL_FLOOR, float(threshold)))

    def level(self, score: float) -> str:
        return HIGH if score >= self.high else MEDIUM if score >= self.threshold else LOW

    def as_dict(self) -> dict:
        return {HIGH: self.high, MEDIUM: self.threshold}


@dataclass
class Term:
    term: str
    weight: float


@dataclass
class Result:
    """The verdict on one ad."""

    score: float
    level: str
    flagged: bool
    threshold: float
    red_flags: list[Hit]
    warning_context: list[str]
    top_terms: list[Term]
    model: str
    contacts: list[Contact] = field(default_factory=list)
    scheme: str | None = None          # for flagged ads: a scheme of the guide, or "other"
    scheme_confidence: float | None = None
    template: str | None = None        # for flagged ads: the canonical text campaigns are grouped by
    warnings: list[str] = field(default_factory=list)
    red_flags_omitted: int = 0         # repeated or surplus red flags not listed
    signature: object = None           # MinHash values of the template, when a batch worker computed them
    disguised: list[str] = field(default_factory=list)  # rare look-alike characters the ad was written with

    @property
    def scheme_name(self) -> str | None:
        return SCHEME_NAMES.get(self.scheme) if self.scheme else None

    def to_dict(self) -> dict:
        d = {"score": self.score, "level": self.level, "flagged": self.flagged, "threshold": self.threshold,
             "scheme": self.scheme, "scheme_name": self.scheme_name, "scheme_confidence": self.scheme_confidence,
             "red_flags": [h.as_dict() for h in self.red_flags], "warning_context": self.warning_context,
             "contacts": [c.as_dict() for c in self.contacts], "top_terms": [asdict(t) for t in self.top_terms],
             "model": self.model}
        if self.red_flags_omitted:
            d["red_flags_omitted"] = self.red_flags_omitted
        if self.disguised:
            d["disguised_characters"] = self.disguised
        if self.warnings:
            d["warnings"] = self.warnings
        return d


@dataclass
class Failure:
    """An ad that could not be scored, and why."""

    error: str
    model: str

    def to_dict(self) -> dict:
        return {"error": self.error, "model": self.model}


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


def check_text(text) -> tuple[str, list[str]]:
    """An ad ready to score, and warnings; raises InputError when there is nothing to score."""
    if not isinstance(text, str):
        raise InputError(f"不是文本（{type(text).__name__}）")
    if not text.strip():
        raise InputError("广告内容为空")
    if _CONTROL.search(text) and not _CONTROL.sub("", text).strip():
        raise InputError("广告内容只有控制字符，没有文字")
    if LONE_SURROGATE.search(text):
        raise InputError("广告含有无效字符（孤立的代理码位，文本在导出时已损坏），无法评分；请检查原始数据的编码")
    warnings = []
    if len(text) > MAX_CHARS:
        warnings.append(f"广告长 {len(text):,} 字，只对前 {MAX_CHARS:,} 字评分")
        text = text[:MAX_CHARS]
    if not HAS_CJK.search(text):
        warnings.append("广告中没有汉字；模型针对中文广告，这个评分参考意义不大")
    return text, warnings


class Scorer:
    """A loaded model and everything needed to explain its scores.

    Scores come from the model's compact arrays (``compact.CompactModel``), which load without
    scikit-learn; the fitted pipeline behind them (``model``) is loaded only when asked for.
    """

    def __init__(self, compact: CompactModel, metadata: dict, threshold: float | None = None, load_model=None):
        self.compact = compact
        self.metadata = metadata
        self.version = metadata.get("version", "?")
        self.levels = RiskLevels.for_threshold(compact.threshold if threshold is None else threshold)
        self._load_model, self._model = load_model, None
        self._terms: dict[int, str | None] = {}
        # Per feature, the number of the term it shows as (-1: none; -2: not looked up yet), so explanations
        # merge a row's features into terms with numpy.
        self._term_numbers: np.ndarray | None = None
        self._term_texts: list[str] = []
        self._term_number_of: dict[str, int] = {}
        self._term_lock = threading.Lock()

    @classmethod
    def of_pipeline(cls, model, metadata: dict, threshold: float | None = None, schemes=None) -> "Scorer":
        """A scorer of a fitted pipeline in memory (a ``FixedThresholdClassifier``), not yet saved."""
        scorer = cls(CompactModel(compile_model(model, schemes)), metadata, threshold)
        scorer._model = model
        return scorer

    @property
    def model(self):
        """The fitted scikit-learn pipeline, for training code that compares or refits it."""
        if self._model is None:
            if self._load_model is None:
                raise ModelError("这个评分器没有关联的模型文件")
            self._model = self._load_model()
        return self._model

    @property
    def threshold(self) -> float:
        return self.levels.threshold

    def term(self, j: int) -> str | None:
        """How feature j reads to an inspector (None for fragments that mean nothing alone)."""
        try:
            return self._terms[j]
        except KeyError:
            shown = self._terms[j] = _display_term(self.compact.feature_name(j))
            return shown

    def scores(self, texts) -> np.ndarray:
        """Probabilities only, the fast path."""
        return self.compact.scores(list(texts))

    def analyse(self, texts, top_terms: int = TOP_TERMS, all_templates: bool = False,
                explain: str = EXPLAIN_ALL) -> list[Result]:
        """Full results for texts already checked by ``check_text``: one pass over each ad.

        The canonical text (``template``) is kept for flagged ads, or for all with ``all_templates``.
        The most influential terms are found for every ad, or for flagged ads only with
        ``explain="flagged"`` (batch screening's default: a quarter of the time per ad).
        """
        if not texts:
            return []
        ads = [read_ad(t) for t in texts]
        X = self.compact.transform(ads)
        scores = self.compact.proba(X)
        schemes = self._schemes(X, scores >= self.threshold)
        results = []
        for i, ad in enumerate(ads):
            score = round(float(scores[i]), 6)
            row = slice(X.indptr[i], X.indptr[i + 1])
            scheme, confidence = schemes.get(i, (None, None))
            flagged = bool(score >= self.threshold)
            results.append(Result(
                score=score, level=self.levels.level(score), flagged=flagged,
                threshold=self.threshold, red_flags=ad.red_flags,
                warning_context=[h.evidence for h in ad.warnings],
                top_terms=self._top_terms(X.indices[row], X.data[row], top_terms)
                if flagged or explain == EXPLAIN_ALL else [], model=self.version,
                contacts=ad.contacts, scheme=scheme, scheme_confidence=confidence,
                template=ad.model_text.replace(" ", "") if flagged or all_templates else None,
                red_flags_omitted=ad.red_flags_omitted, disguised=[h.evidence for h in ad.disguised]))
        return results

    def _schemes(self, X: Rows, flagged: np.ndarray) -> dict[int, tuple[str, float]]:
        """Row -> (scheme, confidence) for the flagged rows."""
        if self.compact.scheme_coef is None:
            return {}
        out = {}
        for row in np.flatnonzero(flagged):
            proba = self.compact.scheme_proba(X, row)
            best = int(proba.argmax())
            p = float(proba[best])
            scheme = self.compact.scheme_classes[best] if p >= SCHEME_MIN_CONFIDENCE else OTHER_SCHEME
            out[int(row)] = (scheme, round(p, 4))
        return out

    def _top_terms(self, indices, values, k: int) -> list[Term]:
        """The k terms of a row that moved its score most: features that read the same (a character and a
        word n-gram of one word) are added up first, and ties keep the order of the features."""
        numbers = self._numbers_of(indices)
        shown = numbers >= 0
        numbers, weights = numbers[shown], (values * self.compact.coef[indices])[shown]
        if not len(numbers):
            return []
        unique, first, inverse = np.unique(numbers, return_index=True, return_inverse=True)
        totals = np.bincount(inverse, weights=weights, minlength=len(unique))
        order = np.argsort(first, kind="stable")  # terms in the order of their first feature
        ranked = order[np.argsort(-np.abs(totals[order]), kind="stable")[:k]]
        texts = self._term_texts
        return [Term(texts[n], round(w, 4)) for n, w in zip(unique[ranked].tolist(), totals[ranked].tolist())
                if abs(w) > 1e-9]

    def _numbers_of(self, indices: np.ndarray) -> np.ndarray:
        if self._term_numbers is None:
            self._term_numbers = np.full(len(self.compact.coef), -2, dtype=np.int64)
        numbers = self._term_numbers[indices]
        unknown = indices[numbers == -2]
        if len(unknown):
            with self._term_lock:  # the web page analyses in threads
                for j in unknown.tolist():
                    shown, number = self.term(j), -1
                    if shown is not None:
                        number = self._term_number_of.get(shown)
                        if number is None:
                            number = self._term_number_of[shown] = len(self._term_texts)
                            self._term_texts.append(shown)
                    self._term_numbers[j] = number
            numbers = self._term_numbers[indices]
        return numbers

    def score_ads(self, texts) -> list[Result | Failure]:
        """One result per text, in order: the analysis, or a Failure for one that cannot be scored."""
        checked = []
        for t in texts:
            try:
                checked.append(check_text(t))
            except InputError as e:
                checked.append(e)
        analysed = iter(self.analyse([c[0] for c in checked if not isinstance(c, Exception)]))
        results = []
        for c in checked:
            if isinstance(c, Exception):
                results.append(Failure(str(c), self.version))
                continue
            result = next(analysed)
            result.warnings = c[1]
            results.append(result)
        return results


def load_scorer(models_root: str | Path, version: str | None = None, threshold: float | None = None) -> Scorer:
    """The saved model (the current one by default), checked and loaded. Never trains."""
    store = ModelStore(models_root)
    version = version or store.current()
    meta = store.verify(version)
    files = meta.get("files") or {}
    if f"{COMPACT_PART}.npz" in files:
        compact = CompactModel(store.read_verified(version, f"{COMPACT_PART}.npz"))
    else:  # a version saved without its arrays: made from the pipeline, as training would have
        schemes = store.read_verified(version, SCHEMES_FILE) if SCHEMES_FILE in files else None
        compact = CompactModel(compile_model(store.read_verified(version, MODEL_FILE), schemes))
    return Scorer(compact, meta, threshold, load_model=lambda: store.load(version)[0])
