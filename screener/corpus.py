"""Labelled data: the corpus schema, labels as inspectors write them, duplicate keys, near-duplicates, splits."""
from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .categories import (CHANNELS, ELDER_CATEGORIES, EVASIONS, HARD_NEGATIVE_CATEGORIES,  # noqa: F401
                         NORMAL_CATEGORIES, ORDINARY_CATEGORIES, OTHER_SCHEME, SCHEME_NAMES, SUSPICIOUS_CATEGORIES)
from .errors import DataError, InputError
from .tables import read_table, resolve_text_column

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


LABEL_WORDS = {"1": 1, "0": 0, "是": 1, "否": 0, "可疑": 1, "正常": 0, "risk": 1, "normal": 0, "suspicious": 1,
               "yes": 1, "no": 0, "true": 1, "false": 0, "1.0": 1, "0.0": 0, "风险": 1, "误报": 0, "确认可疑": 1}


def parse_label(value) -> int | None:
    """1/0 from the ways inspectors write a label, or None if it is not one of them."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)) and value in (0, 1):
        return int(value)
    return LABEL_WORDS.get(str(value).strip().lower())


def load_corpus(path: str | Path) -> pd.DataFrame:
    """The corpus CSV, checked for the columns training needs."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"找不到语料文件：{path}")
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    missing = [c for c in ("text", "label", "split") if c not in df.columns]
    if missing:
        raise DataError(f"{path} 缺少列：{', '.join(missing)}；应有的列：{', '.join(COLUMNS)}")
    labels = df["label"].map(parse_label)
    bad = df.index[labels.isna()]
    if len(bad):
        raise DataError(f"{path} 第 {bad[0] + 2} 行的标签是 {df['label'][bad[0]]!r}；标签只能是 1 或 0")
    df["label"] = labels.astype(int)
    if "group" not in df.columns:
        df["group"] = df.index.astype(str)
    return df


def load_labelled(path: str, text_column: str | None = "text", label_column: str = "label",
                  encoding: str | None = None) -> pd.DataFrame:
    """Any labelled CSV/TSV/XLSX/JSONL file as a DataFrame with text and label columns."""
    df = read_table(path, encoding)
    if df.empty:
        raise InputError(f"{path} 没有数据行")
    text_column = resolve_text_column(df, text_column, path)
    if label_column not in df.columns:
        raise InputError(f"{path} 中没有列 {label_column!r}；现有的列：{', '.join(map(str, df.columns))}。"
                         "请用 --label-column 指定标签列")
    labels = df[label_column].map(parse_label)
    bad = labels.isna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(f"{path} 第 {i + 2} 行的标签是 {df[label_column].iloc[i]!r}；请用 1/0、是/否、"
                         "可疑/正常 或 suspicious/normal")
    return pd.DataFrame({"text": df[text_column].astype(str), "label": labels.astype(int)})
