"""Adapting to an office's own stream: its unlabelled listings as background, with likely frauds set aside.

The corpus says what schemes look like; the office's listings say what normal looks like
where the office works. Background texts count as normal with a small weight. Some of them
are frauds, so in rounds the texts the model scores as most suspicious are set aside
(positive-unlabelled learning): they stop teaching the model that fraud is normal, and they
are the first leads to check.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from features.pipeline import DEFAULT_PARAMS, build_pipeline

from ..corpus import duplicate_key
from ..errors import InputError
from ..files import sha256_file
from ..scoring import check_text
from ..tables import open_source, read_chunks, resolve_text_column
from ..training import best_f1_threshold, metrics

BACKGROUND_WEIGHT = 0.5   # each background text counts this much as a normal example
SET_ASIDE_SHARE = 0.02    # share of the background set aside per round
MAX_ROUNDS = 3            # stop earlier when a round finds nothing at or above the threshold
SAMPLE_CAP = 20_000       # larger files are sampled down to this many distinct texts
MIN_ROWS = 200
MAX_TOP_SHARE = 0.5       # a file whose most common text is more than half of it is refused
REPEAT_CHECK_ROWS = 100_000
ADAPT_RULE = (f"background texts count as normal with weight {BACKGROUND_WEIGHT}; each round the "
              f"{SET_ASIDE_SHARE:.0%} of the remaining background the model scores highest is set aside "
              f"(scored by a model that did not train on it), for at most {MAX_ROUNDS} rounds, stopping when "
              "none of a round's texts reaches the threshold")


@dataclass
class Background:
    texts: list
    file: str
    sha256: str
    rows_read: int
    rows_usable: int
    sampled: bool
    warnings: list = field(default_factory=list)


def read_background(path: str, text_column: str | None = None, encoding: str | None = None, corpus_keys=(),
                    progress=None, seed: int = 0) -> Background:
    """Distinct usable texts of a listings file (reservoir-sampled to SAMPLE_CAP), minus corpus texts."""
    source = open_source(path, encoding)
    warnings, reservoir, seen, counts = [], [], set(), {}
    rng = random.Random(seed)
    rows_read, usable, distinct, column = 0, 0, 0, None
    corpus_keys = set(corpus_keys)
    for frame in read_chunks(source):
        if column is None:
            column = resolve_text_column(frame, text_column, source.name)
            if any(str(c).lower() in ("label", "标签", "标注") for c in frame.columns):
                warnings.append(f"{source.name} 有标签列；adapt 只使用其中的文本（要从标签学习，"
                                "请用 `python train.py add`）")
        for value in frame[column].tolist():
            rows_read += 1
            try:
                text, _ = check_text(value)
            except InputError:
                continue
            usable += 1
            key = duplicate_key(text)
            if usable <= REPEAT_CHECK_ROWS:
                counts[key] = counts.get(key, 0) + 1
            if key in corpus_keys:
                continue
            hashed = hash(key)  # a number per distinct text keeps memory small for big files
            if hashed in seen:
                continue
            seen.add(hashed)
            distinct += 1
            if len(reservoir) < SAMPLE_CAP:
                reservoir.append(text)
            else:
                j = rng.randrange(distinct)
                if j < SAMPLE_CAP:
                    reservoir[j] = text
        if progress:
            progress(rows_read)
    if usable < MIN_ROWS or len(reservoir) < MIN_ROWS:
        raise InputError(f"{source.name} 只有 {usable} 行可用（{len(reservoir)} 条不重复）；适配至少需要本地 "
                         f"{MIN_ROWS} 条不重复的广告")
    top, checked = (max(counts.values()) if counts else 0), min(usable, REPEAT_CHECK_ROWS)
    if top > MAX_TOP_SHARE * checked:
        raise InputError(f"{source.name} 大部分是同一条重复文本（{checked} 行中有 {top} 行）；无法反映本地广告。"
                         "请检查 --text-column 或导出文件")
    return Background(reservoir, Path(path).name if path != "-" else "stdin",
                      sha256_file(path) if path != "-" else "", rows_read, usable, distinct > SAMPLE_CAP, warnings)


def _fit(texts, labels, weights, params):
    model = build_pipeline(**params)
    model.fit(texts, np.asarray(labels), clf__sample_weight=np.asarray(weights, dtype=float))
    return model


def _held_out_scores(corpus_texts, corpus_labels, background, params, folds: int = 2, seed: int = 0):
    """Scores of the background from models that did not see the part being scored."""
    order = np.random.default_rng(seed).permutation(len(background))
    scores = np.zeros(len(background))
    bg = np.asarray(background, dtype=object)
    for k in range(folds):
        held = order[k::folds]
        kept = np.setdiff1d(order, held)
        texts = list(corpus_texts) + bg[kept].tolist()
        labels = list(corpus_labels) + [0] * len(kept)
        weights = [1.0] * len(corpus_texts) + [BACKGROUND_WEIGHT] * len(kept)
        scores[held] = _fit(texts, labels, weights, params).predict_proba(bg[held].tolist())[:, 1]
    return scores


def adapt(train_df: pd.DataFrame, background: list, threshold_hint: float, params: dict | None = None,
          notify=None):
    """Rounds of setting aside; returns (pipeline, threshold, set-aside table, rounds info, cv metrics)."""
    notify = notify or (lambda m: None)
    params = {**DEFAULT_PARAMS, **(params or {})}
    texts, labels = train_df["text"].tolist(), train_df["label"].astype(int).tolist()
    remaining = list(background)
    set_aside, rounds = [], []
    for r in range(1, MAX_ROUNDS + 1):
        scores = _held_out_scores(texts, labels, remaining, params, seed=r)
        n_out = max(1, int(round(SET_ASIDE_SHARE * len(background))))
        top = np.argsort(-scores)[:n_out]
        reached = int((scores[top] >= threshold_hint).sum())
        if reached == 0:
            notify(f"第 {r} 轮：没有背景文本达到阈值（最高 {scores[top[0]]:.2f}），停止")
            break
        rounds.append({"round": r, "set_aside": int(len(top)), "at_or_above_threshold": reached,
                       "max_score": round(float(scores[top[0]]), 4)})
        notify(f"第 {r} 轮：从 {len(remaining)} 条背景文本中留出 {len(top)} 条"
               f"（{reached} 条达到阈值）")
        chosen = set(top.tolist())
        set_aside.extend((remaining[i], float(scores[i]), r) for i in top)
        remaining = [t for i, t in enumerate(remaining) if i not in chosen]
    notify(f"正在用 {len(texts)} 条语料和 {len(remaining)} 条背景文本训练适配模型……")
    all_texts = texts + remaining
    all_labels = labels + [0] * len(remaining)
    weights = [1.0] * len(texts) + [BACKGROUND_WEIGHT] * len(remaining)
    threshold, cv = _threshold_with_background(train_df, remaining, params)
    model = _fit(all_texts, all_labels, weights, params)
    table = pd.DataFrame(set_aside, columns=["text", "score", "round"])
    return model, threshold, table, rounds, cv


def _threshold_with_background(train_df, background, params, folds: int = 5):
    """The threshold rule of train.py fit, on corpus folds, with the background always in training."""
    from sklearn.model_selection import StratifiedGroupKFold

    texts = np.asarray(train_df["text"].tolist(), dtype=object)
    labels = train_df["label"].astype(int).to_numpy()
    groups = train_df["group"] if "group" in train_df else np.arange(len(train_df))
    scores = np.zeros(len(texts))
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=params.get("random_state", 0))
    for tr, te in splitter.split(texts, labels, groups):
        fold_texts = texts[tr].tolist() + list(background)
        fold_labels = labels[tr].tolist() + [0] * len(background)
        weights = [1.0] * len(tr) + [BACKGROUND_WEIGHT] * len(background)
        scores[te] = _fit(fold_texts, fold_labels, weights, params).predict_proba(texts[te].tolist())[:, 1]
    threshold = best_f1_threshold(labels, scores)
    return threshold, metrics(labels, scores, threshold)
