"""The model: one pass over each ad (``ad.read_ad``), then word TF-IDF + character n-grams + red flags
-> logistic regression, as a scikit-learn pipeline.

The fitted pipeline is what training tunes and saves; ``screener.compact`` turns it into plain
arrays that score the same without scikit-learn.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from .ad import Ad, read_ad
from .redflags import FEATURE_NAMES, flag_vector
from .tokenize import TOKENIZERS

__all__ = ["DEFAULT_PARAMS", "Ad", "AdReader", "RedFlagFeatures", "ad_model_text", "build_pipeline", "read_ad"]

DEFAULT_PARAMS = {
    "tokenizer": "rjieba",
    "word_ngram_range": (1, 2),
    "char_ngram_range": (1, 3),
    "min_df": 3,  # training sees each text twice (itself and its export copy): 3 keeps n-grams of two texts
    "red_flag_scale": 0.5,
    "C": 4.0,
    "random_state": 0,
}


def ad_model_text(ad: Ad) -> str:
    """What the vectorizers read (a module-level function so saved pipelines load anywhere)."""
    return ad.model_text


class AdReader(BaseEstimator, TransformerMixin):
    """Raw ads -> ``Ad`` objects."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return [read_ad(t) for t in X]


class RedFlagFeatures(BaseEstimator, TransformerMixin):
    """Red-flag indicators as model features, read from analysed ads (``ad.Ad``)."""

    def __init__(self, scale: float = 1.0):
        self.scale = scale

    def fit(self, X, y=None):
        self.n_features_out_ = len(FEATURE_NAMES)
        return self

    def transform(self, X):
        rows = [flag_vector(ad.red_flags, ad.warnings, ad.invitations, ad.disguised) for ad in X]
        matrix = np.vstack(rows) if rows else np.zeros((0, len(FEATURE_NAMES)))
        return sp.csr_matrix(matrix * self.scale)

    def get_feature_names_out(self, input_features=None):
        return np.asarray(FEATURE_NAMES, dtype=object)


def build_pipeline(**overrides) -> Pipeline:
    """A fresh, unfitted pipeline. Parameters read ``features__tfidf__ngram_range`` etc."""
    p = {**DEFAULT_PARAMS, **overrides}
    unknown = set(p) - set(DEFAULT_PARAMS)
    if unknown:
        raise ValueError(f"unknown pipeline parameters: {sorted(unknown)}")
    if p["tokenizer"] not in TOKENIZERS:
        raise ValueError(f"unknown tokenizer {p['tokenizer']!r}; choose one of {sorted(TOKENIZERS)}")
    words = TfidfVectorizer(preprocessor=ad_model_text, tokenizer=TOKENIZERS[p["tokenizer"]], token_pattern=None,
                            lowercase=False, ngram_range=tuple(p["word_ngram_range"]), min_df=p["min_df"],
                            sublinear_tf=True)
    chars = TfidfVectorizer(preprocessor=ad_model_text, analyzer="char_wb", lowercase=False,
                            ngram_range=tuple(p["char_ngram_range"]), min_df=p["min_df"],
                            sublinear_tf=True)
    features = FeatureUnion([("tfidf", words), ("chars", chars), ("red_flags", RedFlagFeatures(scale=p["red_flag_scale"]))])
    clf = LogisticRegression(C=p["C"], class_weight="balanced", max_iter=5000, random_state=p["random_state"],
                             solver="liblinear")
    return Pipeline([("read", AdReader()), ("features", features), ("clf", clf)])
