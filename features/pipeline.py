"""The model: cleaned text -> word TF-IDF + character n-grams + red flags -> logistic regression."""
from __future__ import annotations

from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from .normalise import clean, model_text
from .redflags import RedFlagFeatures
from .tokenize import TOKENIZERS

DEFAULT_PARAMS = {
    "tokenizer": "rjieba",
    "word_ngram_range": (1, 2),
    "char_ngram_range": (1, 3),
    "min_df": 2,
    "red_flag_scale": 0.5,
    "C": 4.0,
    "random_state": 0,
}


class TextCleaner(BaseEstimator, TransformerMixin):
    """Raw ads -> cleaned text (see ``normalise.clean``)."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return [clean(str(t)).text for t in X]


def build_pipeline(**overrides) -> Pipeline:
    """A fresh, unfitted pipeline. Parameters read ``features__tfidf__ngram_range`` etc."""
    p = {**DEFAULT_PARAMS, **overrides}
    unknown = set(p) - set(DEFAULT_PARAMS)
    if unknown:
        raise ValueError(f"unknown pipeline parameters: {sorted(unknown)}")
    if p["tokenizer"] not in TOKENIZERS:
        raise ValueError(f"unknown tokenizer {p['tokenizer']!r}; choose one of {sorted(TOKENIZERS)}")
    words = TfidfVectorizer(preprocessor=model_text, tokenizer=TOKENIZERS[p["tokenizer"]], token_pattern=None,
                            lowercase=False, ngram_range=tuple(p["word_ngram_range"]), min_df=p["min_df"],
                            sublinear_tf=True)
    chars = TfidfVectorizer(preprocessor=model_text, analyzer="char_wb", lowercase=False,
                            ngram_range=tuple(p["char_ngram_range"]), min_df=p["min_df"],
                            sublinear_tf=True)
    features = FeatureUnion([("tfidf", words), ("chars", chars), ("red_flags", RedFlagFeatures(scale=p["red_flag_scale"]))])
    clf = LogisticRegression(C=p["C"], class_weight="balanced", max_iter=5000, random_state=p["random_state"],
                             solver="liblinear")
    return Pipeline([("clean", TextCleaner()), ("features", features), ("clf", clf)])
