"""The model: one pass over each ad, then word TF-IDF + character n-grams + red flags -> logistic regression.

``AdReader`` turns a raw ad into an ``Ad``: the cleaned text with its spans into the
original, the canonical text the vectorizers read, the red-flag hits and the contacts. Every later
step reads that one object, so the hits an inspector is shown are the ones the model
weighed, and nothing is cleaned or matched twice.
"""
from __future__ import annotations

from dataclasses import dataclass

from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from .contacts import Contact, find_contacts
from .normalise import Cleaned, clean, model_text
from .redflags import Hit, RedFlagFeatures, find_red_flags, invitation, shown_red_flags, warning_context
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


@dataclass
class Ad:
    """One ad as the pipeline sees it."""

    original: str
    cleaned: Cleaned
    model_text: str
    red_flags: list[Hit]
    warnings: list[Hit]
    invitations: list[Hit]
    contacts: list[Contact]
    red_flags_omitted: int = 0   # repeated or surplus hits not shown (see redflags.shown_red_flags)


def read_ad(text: str) -> Ad:
    """Clean an ad once and find everything the model and the explanation need."""
    text = str(text)
    cleaned = clean(text)
    red_flags, omitted = shown_red_flags(find_red_flags(text, cleaned))
    return Ad(text, cleaned, model_text(cleaned.text), red_flags, warning_context(text, cleaned),
              invitation(text, cleaned), find_contacts(cleaned, text), omitted)


def ad_model_text(ad: Ad) -> str:
    """What the vectorizers read (a module-level function so saved pipelines load anywhere)."""
    return ad.model_text


class AdReader(BaseEstimator, TransformerMixin):
    """Raw ads -> ``Ad`` objects."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return [read_ad(t) for t in X]


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
