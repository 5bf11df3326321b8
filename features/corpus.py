"""The labelled corpus: schema, duplicate keys, near-duplicate search and the train/test split."""
from __future__ import annotations

import hashlib
import re
import unicodedata

import numpy as np
import pandas as pd
import scipy.sparse as sp

SUSPICIOUS_CATEGORIES = (
    "elder_service", "elder_project", "elder_product", "house_pension", "pension_insurance", "elder_aid",
    "high_yield", "private_fund", "original_shares", "crypto", "consumption_rebate", "coop_deposit",
    "art_shares", "crowdfunding", "stock_tips", "forex_futures", "pyramid", "project_investment",
    "property_leaseback", "loan_fraud",
)
ELDER_CATEGORIES = SUSPICIOUS_CATEGORIES[:6]
ORDINARY_CATEGORIES = (
    "telecom", "retail", "bank_card", "catering", "real_estate", "loan_licensed", "auto", "home",
    "insurance_agent", "jobs", "education", "delivery", "travel", "services", "listing_misc",
)
HARD_NEGATIVE_CATEGORIES = (
    "anti_fraud_notice", "news", "gov_notice", "elder_care_licensed", "bank_insurance", "community_service",
)
NORMAL_CATEGORIES = ORDINARY_CATEGORIES + HARD_NEGATIVE_CATEGORIES
CHANNELS = ("sms", "flyer", "wechat", "listing", "poster")
EVASIONS = ("none", "spaced", "fullwidth", "traditional", "emoji", "homophone", "pinyin", "mixed")
COLUMNS = ("id", "text", "label", "category", "channel", "evasion", "group", "split")

_NOT_WORD = re.compile(r"[\W_]+")


def duplicate_key(text: str) -> str:
    """The form two texts share when one is a copy of the other: NFKC, no whitespace or punctuation."""
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", str(text))).lower()


def text_id(text: str) -> str:
    """A stable id derived from the text itself."""
    return "ad-" + hashlib.sha1(duplicate_key(text).encode("utf-8")).hexdigest()[:12]


def shingle_matrix(texts, n: int = 4, vocabulary: dict | None = None):
    """Binary matrix of character n-grams (on duplicate keys); returns (matrix, vocabulary)."""
    vocabulary = {} if vocabulary is None else vocabulary
    rows, cols = [], []
    for i, t in enumerate(texts):
        key = duplicate_key(t)
        grams = {key[j:j + n] for j in range(max(len(key) - n + 1, 1))}
        for g in grams:
            rows.append(i)
            cols.append(vocabulary.setdefault(g, len(vocabulary)))
    m = sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(len(texts), len(vocabulary)))
    return m, vocabulary


def near_duplicate_pairs(texts_a, texts_b=None, threshold: float = 0.7):
    """Pairs (i, j, jaccard) of 4-gram Jaccard similarity above threshold.

    With one list, pairs within it (i < j); with two, pairs across them.
    """
    a, vocab = shingle_matrix(texts_a)
    b = a if texts_b is None else shingle_matrix(texts_b, vocabulary=vocab)[0]
    a = sp.csr_matrix((a.data, a.indices, a.indptr), shape=(a.shape[0], len(vocab)))
    b = sp.csr_matrix((b.data, b.indices, b.indptr), shape=(b.shape[0], len(vocab)))
    inter = (a @ b.T).tocoo()
    size_a = np.asarray(a.sum(axis=1)).ravel()
    size_b = np.asarray(b.sum(axis=1)).ravel()
    union = size_a[inter.row] + size_b[inter.col] - inter.data
    jac = inter.data / np.maximum(union, 1)
    keep = jac > threshold
    if texts_b is None:
        keep &= inter.row < inter.col
    return list(zip(inter.row[keep].tolist(), inter.col[keep].tolist(), jac[keep].tolist()))


def assign_splits(df: pd.DataFrame, test_share: float = 0.2, salt: str = "split-v1") -> pd.Series:
    """Train/test per group, stratified by label and category, deterministic."""
    split = pd.Series("train", index=df.index)
    for _, stratum in df.groupby(["label", "category"]):
        groups = sorted(stratum["group"].unique(), key=lambda g: hashlib.sha1(f"{salt}:{g}".encode()).hexdigest())
        sizes = stratum.groupby("group").size()
        target, taken = test_share * len(stratum), 0
        for g in groups:
            if taken >= target:
                break
            if taken + sizes[g] / 2 > target and taken > 0:
                continue
            split[stratum.index[stratum["group"] == g]] = "test"
            taken += sizes[g]
    return split
