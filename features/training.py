"""Training, threshold choice and evaluation."""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, precision_recall_fscore_support, roc_auc_score
from sklearn.model_selection import StratifiedGroupKFold

from .corpus import COLUMNS
from .errors import DataError, InputError
from .pipeline import DEFAULT_PARAMS, build_pipeline
from .tabular import read_table, resolve_text_column

THRESHOLD_FLOOR = 0.5
THRESHOLD_RULE = ("the score that maximises F1 on 5-fold cross-validated predictions of the training split "
                  f"(folds keep groups together), never below {THRESHOLD_FLOOR}")
HIGH_LEVEL_FLOOR = 0.8

LABEL_WORDS = {"1": 1, "0": 0, "是": 1, "否": 0, "可疑": 1, "正常": 0, "risk": 1, "normal": 0, "suspicious": 1,
               "yes": 1, "no": 0, "true": 1, "false": 0, "1.0": 1, "0.0": 0, "风险": 1, "误报": 0, "确认可疑": 1}


def parse_label(value) -> int | None:
    """1/0 from the ways inspectors write a label, or None if it is not one of them."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)) and value in (0, 1):
        return int(value)
    return LABEL_WORDS.get(str(value).strip().lower())


def sha256_of(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def load_corpus(path: str | Path) -> pd.DataFrame:
    """The corpus CSV, checked for the columns training needs."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"corpus not found: {path}")
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    missing = [c for c in ("text", "label", "split") if c not in df.columns]
    if missing:
        raise DataError(f"{path} lacks the column(s) {', '.join(missing)}; expected {', '.join(COLUMNS)}")
    labels = df["label"].map(parse_label)
    bad = df.index[labels.isna()]
    if len(bad):
        raise DataError(f"{path} row {bad[0] + 2} has label {df['label'][bad[0]]!r}; labels must be 1 or 0")
    df["label"] = labels.astype(int)
    if "group" not in df.columns:
        df["group"] = df.index.astype(str)
    return df


def load_labelled(path: str, text_column: str | None = "text", label_column: str = "label",
                  encoding: str | None = None) -> pd.DataFrame:
    """Any labelled CSV/TSV/XLSX/JSONL file as a DataFrame with text and label columns."""
    df = read_table(path, encoding)
    if df.empty:
        raise InputError(f"{path} has no rows")
    text_column = resolve_text_column(df, text_column, path)
    if label_column not in df.columns:
        raise InputError(f"column {label_column!r} not found in {path}; its columns are: "
                         f"{', '.join(map(str, df.columns))}. Name the label column with --label-column")
    labels = df[label_column].map(parse_label)
    bad = labels.isna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(f"{path} row {i + 2} has label {df[label_column].iloc[i]!r}; use 1/0, 是/否, "
                         "可疑/正常 or suspicious/normal")
    return pd.DataFrame({"text": df[text_column].astype(str), "label": labels.astype(int)})


def metrics(y_true, scores, threshold: float) -> dict:
    y_true = np.asarray(y_true, dtype=int)
    scores = np.asarray(scores, dtype=float)
    predicted = scores >= threshold
    both = len(set(y_true.tolist())) == 2
    precision, recall, f1, _ = precision_recall_fscore_support(y_true, predicted, average="binary",
                                                               zero_division=0)
    return {
        "n": int(len(y_true)),
        "positives": int(y_true.sum()),
        "roc_auc": round(float(roc_auc_score(y_true, scores)), 4) if both else None,
        "pr_auc": round(float(average_precision_score(y_true, scores)), 4) if both else None,
        "precision": round(float(precision), 4),
        "recall": round(float(recall), 4),
        "f1": round(float(f1), 4),
        "threshold": round(float(threshold), 4),
        "flagged_share": round(float(predicted.mean()), 4) if len(y_true) else None,
        "false_positive_rate": round(float(predicted[y_true == 0].mean()), 4) if (y_true == 0).any() else None,
    }


def best_f1_threshold(y_true, scores, floor: float = THRESHOLD_FLOOR) -> float:
    y_true = np.asarray(y_true, dtype=int)
    scores = np.asarray(scores, dtype=float)
    best, best_f1 = floor, -1.0
    for t in np.unique(np.round(scores, 3)):
        if t < floor:
            continue
        pred = scores >= t
        tp = int((pred & (y_true == 1)).sum())
        f1 = 2 * tp / max(int(pred.sum()) + int(y_true.sum()), 1)
        if f1 > best_f1:
            best, best_f1 = float(t), f1
    return best


def cross_validated_scores(texts, labels, groups, params: dict, folds: int = 5) -> np.ndarray:
    scores = np.zeros(len(texts))
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=params.get("random_state", 0))
    texts, labels = np.asarray(texts, dtype=object), np.asarray(labels)
    for train_idx, test_idx in splitter.split(texts, labels, groups):
        model = build_pipeline(**params).fit(texts[train_idx], labels[train_idx])
        scores[test_idx] = model.predict_proba(texts[test_idx])[:, 1]
    return scores


def train(train_df: pd.DataFrame, params: dict | None = None):
    """Fit a pipeline on text/label rows; returns (pipeline, threshold, cv metrics)."""
    params = {**DEFAULT_PARAMS, **(params or {})}
    if train_df["label"].nunique() < 2:
        raise DataError("training needs both suspicious (1) and normal (0) examples")
    groups = train_df["group"] if "group" in train_df else np.arange(len(train_df))
    cv = cross_validated_scores(train_df["text"], train_df["label"], groups, params)
    threshold = best_f1_threshold(train_df["label"], cv)
    pipeline = build_pipeline(**params)
    pipeline.fit(train_df["text"].tolist(), train_df["label"].astype(int).to_numpy())
    return pipeline, threshold, metrics(train_df["label"], cv, threshold)


def json_params(params: dict) -> dict:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in params.items()}


def fit_and_save(train_df: pd.DataFrame, test_df: pd.DataFrame, store, version: str, data_info: dict,
                 params: dict | None = None, notify=None, extra_metadata: dict | None = None,
                 make_current: bool = True, kind: str = "fit") -> dict:
    """Train on train_df, evaluate on test_df, save as a version (and make it current)."""
    notify = notify or (lambda message: None)
    params = {**DEFAULT_PARAMS, **(params or {})}
    notify(f"training on {len(train_df)} rows (5-fold cross-validation for the threshold, then the final fit)...")
    pipeline, threshold, cv = train(train_df, params)
    test_scores = pipeline.predict_proba(test_df["text"].tolist())[:, 1] if len(test_df) else []
    meta = {
        "kind": kind,
        "tokenizer": params["tokenizer"],
        "params": json_params(params),
        "data": {**data_info, "train_rows": int(len(train_df)), "test_rows": int(len(test_df))},
        "threshold": threshold,
        "threshold_rule": THRESHOLD_RULE,
        "levels": {"高": max(HIGH_LEVEL_FLOOR, threshold), "中": threshold},
        "metrics": {"test": metrics(test_df["label"], test_scores, threshold) if len(test_df) else None,
                    "cross_validation": cv},
        **(extra_metadata or {}),
    }
    store.save(pipeline, meta, version, replace=True)
    if make_current:
        store.set_current(version)
    return store.read_metadata(version)


def fit_corpus(data_path: str | Path, store, version: str, params: dict | None = None, notify=None,
               make_current: bool = True) -> dict:
    """Train on the corpus's train split, evaluate on its test split, save."""
    corpus = load_corpus(data_path)
    return fit_and_save(corpus[corpus["split"] == "train"], corpus[corpus["split"] == "test"], store, version,
                        {"path": str(data_path), "sha256": sha256_of(data_path)}, params=params, notify=notify,
                        make_current=make_current)
