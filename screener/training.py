"""Training, threshold choice, evaluation, and the built-in model."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (average_precision_score, f1_score, precision_recall_fscore_support,
                             roc_auc_score)
from sklearn.model_selection import FixedThresholdClassifier, StratifiedGroupKFold

from features.pipeline import DEFAULT_PARAMS, build_pipeline

from .augment import AUGMENTATION_RULE, export_copies
from .compact import COMPACT_PART, compile_model
from .config import FALSE_ALARM_BUDGET, THRESHOLD_FLOOR
from .corpus import SUSPICIOUS_CATEGORIES, load_corpus, load_labelled
from .errors import DataError, LibraryVersionError, ModelError
from .files import sha256_file
from .scoring import RiskLevels, Scorer, check_text
from .store import DEFAULT_VERSION, ModelStore, check_libraries

THRESHOLD_RULE = (f"the score above which {FALSE_ALARM_BUDGET:.1%} of the normal ads fall, on 5-fold cross-validated "
                  "predictions of the training split's texts and of an export copy of each (folds keep groups "
                  f"together), never below {THRESHOLD_FLOOR}")


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


def false_alarm_threshold(y_true, scores, budget: float = FALSE_ALARM_BUDGET, floor: float = THRESHOLD_FLOOR) -> float:
    """The score above which ``budget`` of the normal ads' scores fall, never below floor.

    Chosen on normal ads alone: how often they are flagged carries from the corpus to real streams, while the
    corpus's schemes are easier to catch than real ones, so a cut that weighs them (best F1) sits too high for a
    real stream and misses what an inspector would want to see.
    """
    normal = np.asarray(scores, dtype=float)[np.asarray(y_true) == 0]
    if not len(normal):
        return floor
    return max(floor, float(np.quantile(normal, 1 - budget)))


def cross_validated_scores(texts, labels, groups, params: dict, folds: int = 5, weights=None,
                           background=(), background_weight: float = 0.0, score_copies: bool = False):
    """Out-of-fold scores; folds keep groups (variants of one text) together, and each fold's model is fitted
    as ``fit_pipeline`` fits the final one (export copies of its own texts only).

    With ``score_copies``, also the out-of-fold scores of an export copy of each held-out text (``augment``),
    and the index of the text each copy is of: ``(scores, copy_scores, copy_of)``.

    ``background`` texts (an office's unlabelled stream) are in every fold's training as
    normal examples of weight ``background_weight`` and are never scored.
    """
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=params.get("random_state", 0))
    texts = np.asarray(list(texts), dtype=object)
    labels = np.asarray(labels, dtype=int)
    weights = np.ones(len(texts)) if weights is None else np.asarray(weights, dtype=float)
    scores = np.zeros(len(texts))
    copy_scores, copy_of = [], []
    for train_rows, held_rows in splitter.split(texts, labels, groups):
        model = fit_pipeline(texts[train_rows], labels[train_rows], weights[train_rows], params, background,
                             background_weight)
        scores[held_rows] = model.predict_proba(texts[held_rows].tolist())[:, 1]
        if score_copies:
            copies, of = export_copies([str(t) for t in texts[held_rows]], params.get("random_state", 0))
            if copies:
                copy_scores.append(model.predict_proba(copies)[:, 1])
                copy_of.append(held_rows[of])
    if not score_copies:
        return scores
    return (scores, np.concatenate(copy_scores) if copy_scores else np.zeros(0),
            np.concatenate(copy_of) if copy_of else np.zeros(0, dtype=np.int64))


def fit_pipeline(texts, labels, weights, params: dict, background=(), background_weight: float = 0.0):
    """One pipeline fitted on weighted texts and an export copy of each (``augment``), with the background as
    weighted normal examples (an office's own stream, already in its own format: no copies)."""
    texts, labels = [str(t) for t in texts], np.asarray(labels, dtype=int)
    weights = np.asarray(weights, dtype=float)
    copies, of = export_copies(texts, params.get("random_state", 0))
    pipeline = build_pipeline(**params)
    pipeline.fit(texts + copies + list(background),
                 np.concatenate([labels, labels[of], np.zeros(len(background), dtype=int)]),
                 clf__sample_weight=np.concatenate([weights, weights[of], np.full(len(background), background_weight)]))
    return pipeline


def with_threshold(pipeline, threshold: float) -> FixedThresholdClassifier:
    """A fitted pipeline carrying its decision threshold."""
    return FixedThresholdClassifier(pipeline, threshold=threshold, response_method="predict_proba")


def train(train_df: pd.DataFrame, params: dict | None = None, background=(), background_weight: float = 0.0):
    """Fit a pipeline on text/label rows; returns (thresholded model, cv metrics).

    A ``weight`` column, where present, weights rows (cases count more than authored texts);
    ``background`` is an office's unlabelled stream, normal with ``background_weight``.
    """
    params = {**DEFAULT_PARAMS, **(params or {})}
    if train_df["label"].nunique() < 2:
        raise DataError("训练需要同时有可疑（1）和正常（0）的样本")
    groups = train_df["group"] if "group" in train_df else np.arange(len(train_df))
    weights = train_df["weight"].astype(float).to_numpy() if "weight" in train_df else np.ones(len(train_df))
    cv, copy_scores, copy_of = cross_validated_scores(train_df["text"], train_df["label"], groups, params,
                                                      weights=weights, background=background,
                                                      background_weight=background_weight, score_copies=True)
    # Chosen on the held-out texts and on export copies of them: real streams score lower when they arrive
    # stripped (numbers as 8, no punctuation), and a threshold set on the texts as written misses more there.
    labels = train_df["label"].to_numpy(dtype=int)
    threshold = false_alarm_threshold(np.concatenate([labels, labels[copy_of]]), np.concatenate([cv, copy_scores]))
    pipeline = fit_pipeline(train_df["text"], train_df["label"], weights, params, background, background_weight)
    return with_threshold(pipeline, threshold), metrics(train_df["label"], cv, threshold)


def train_schemes(model, train_df: pd.DataFrame, test_df: pd.DataFrame):
    """A multi-class model of the scheme (the corpus categories of suspicious ads) over the detector's features.

    Returns (classifier or None when there are too few kinds, macro-F1 on the test rows or None).
    """
    features = model.estimator.named_steps["features"]
    reader = model.estimator.named_steps["read"]

    def schemed(df):
        if "category" not in df:
            return df.iloc[:0]
        return df[(df["label"].astype(int) == 1) & df["category"].isin(SUSPICIOUS_CATEGORIES)]

    train_rows, test_rows = schemed(train_df), schemed(test_df)
    if train_rows["category"].nunique() < 2:
        return None, None
    classifier = LogisticRegression(C=4.0, class_weight="balanced", max_iter=2000)
    classifier.fit(features.transform(reader.transform(train_rows["text"].tolist())), train_rows["category"])
    if not len(test_rows):
        return classifier, None
    predicted = classifier.predict(features.transform(reader.transform(test_rows["text"].tolist())))
    return classifier, round(float(f1_score(test_rows["category"], predicted, average="macro")), 4)


def json_params(params: dict) -> dict:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in params.items()}


def model_metadata(kind: str, params: dict, data: dict, threshold: float, threshold_rule: str, test: dict | None,
                   cross_validation: dict | None, **extra) -> dict:
    """What a saved model says about how it was made (the store adds versions, libraries and file hashes)."""
    return {"kind": kind, "tokenizer": params.get("tokenizer"), "params": json_params(params), "data": data,
            "threshold": threshold, "threshold_rule": threshold_rule, "augmentation": AUGMENTATION_RULE,
            "levels": RiskLevels.for_threshold(threshold).as_dict(),
            "metrics": {"test": test, "cross_validation": cross_validation}, **extra}


def model_parts(model, schemes, extra: dict | None = None) -> dict:
    """What is saved beside a model: the scheme classifier, the arrays scoring reads, and any extra parts."""
    return {**(extra or {}), **({"schemes": schemes} if schemes is not None else {}),
            COMPACT_PART: compile_model(model, schemes)}


def fit_and_save(train_df: pd.DataFrame, test_df: pd.DataFrame, store: ModelStore, version: str, data_info: dict,
                 params: dict | None = None, notify=None, extra_metadata: dict | None = None,
                 make_current: bool = True, kind: str = "fit", background=(), background_weight: float = 0.0,
                 extra_parts: dict | None = None) -> dict:
    """Train on train_df (and a background, see ``train``), evaluate on test_df, save as a version (and make it
    current). ``extra_parts`` are saved beside the model."""
    notify = notify or (lambda message: None)
    params = {**DEFAULT_PARAMS, **(params or {})}
    notify(f"正在用 {len(train_df) + len(background)} 行训练（先 5 折交叉验证定阈值，再训练最终模型）……")
    model, cv = train(train_df, params, background=background, background_weight=background_weight)
    test = metrics(test_df["label"], model.predict_proba(test_df["text"].tolist())[:, 1], model.threshold) \
        if len(test_df) else None
    schemes, scheme_f1 = train_schemes(model, train_df, test_df)
    data = {**data_info, "train_rows": int(len(train_df)), "test_rows": int(len(test_df))}
    meta = model_metadata(kind, params, data, model.threshold, THRESHOLD_RULE, test, cv,
                          scheme_test_macro_f1=scheme_f1, **(extra_metadata or {}))
    store.save(model, meta, version, replace=True, parts=model_parts(model, schemes, extra_parts))
    if make_current:
        store.set_current(version)
    return store.read_metadata(version)


def fit_corpus(data_path: str | Path, store: ModelStore, version: str, params: dict | None = None, notify=None,
               make_current: bool = True) -> dict:
    """Train on the corpus's train split, evaluate on its test split, save."""
    corpus = load_corpus(data_path)
    with store.writer():
        return fit_and_save(corpus[corpus["split"] == "train"], corpus[corpus["split"] == "test"], store, version,
                            {"path": str(data_path), "sha256": sha256_file(data_path)}, params=params, notify=notify,
                            make_current=make_current)


def evaluate_file(scorer: Scorer, path: str, text_column: str | None = None, label_column: str = "label",
                  encoding: str | None = None) -> dict:
    """Metrics of a model on any labelled CSV/TSV/XLSX/JSONL file."""
    df = load_labelled(path, text_column, label_column, encoding)
    usable = df[df["text"].str.strip() != ""]
    scores = scorer.scores([check_text(t)[0] for t in usable["text"]])
    m = metrics(usable["label"], scores, scorer.threshold)
    m["skipped_empty"] = int(len(df) - len(usable))
    m["model"] = scorer.version
    return m
