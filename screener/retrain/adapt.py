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

from features.pipeline import DEFAULT_PARAMS

from ..corpus import duplicate_key
from ..errors import InputError
from ..files import sha256_file
from ..scoring import check_text
from ..tables import open_source, read_chunks, resolve_text_column
from ..training import fit_pipeline, train

BACKGROUND_WEIGHT = 0.5   # each background text counts this much as a normal example
BACKGROUND_PART = "background"  # the background texts saved beside an adapted model (background.joblib)
SET_ASIDE_SHARE = 0.02    # share of the background set aside per round
MAX_ROUNDS = 3            # stop earlier when a round finds nothing at or above the threshold
SAMPLE_CAP = 20_000       # larger files are sampled down to this many distinct texts
MIN_ROWS = 200
MAX_TOP_SHARE = 0.5       # a file whose most common text is more than half of it is refused
ADAPT_RULE = (f"background texts count as normal with weight {BACKGROUND_WEIGHT}; each round the "
              f"{SET_ASIDE_SHARE:.0%} of the remaining background the model scores highest is set aside "
              f"(scored by a model that did not train on it), for at most {MAX_ROUNDS} rounds, stopping when "
              "none of a round's texts reaches the threshold")


@dataclass
class Stream:
    """The distinct usable texts of an office's listings file (sampled when there are many), and how often each came."""

    texts: list
    file: str
    sha256: str
    rows_read: int
    rows_usable: int
    rows_known: int            # rows whose text is already labelled (corpus or cases)
    sampled: bool
    rows_by_key: dict          # hash of a text's duplicate key -> rows of the file with that text
    warnings: list = field(default_factory=list)

    def rows_of(self, text: str) -> int:
        return self.rows_by_key.get(hash(duplicate_key(text)), 1)



def read_stream(path: str, text_column: str | None = None, encoding: str | None = None, known_keys=(),
                progress=None, seed: int = 0, cap: int = SAMPLE_CAP, purpose: str = "adapt") -> Stream:
    """Distinct usable texts of a listings file (reservoir-sampled to ``cap``), minus texts already labelled."""
    source = open_source(path, encoding)
    warnings, reservoir, rows_by_key = [], [], {}
    rng = random.Random(seed)
    rows_read, usable, known, distinct, column = 0, 0, 0, 0, None
    known_keys = set(known_keys)
    for frame in read_chunks(source):
        if column is None:
            column = resolve_text_column(frame, text_column, source.name)
            if any(str(c).lower() in ("label", "标签", "标注") for c in frame.columns):
                warnings.append(f"{source.name} 有标签列；{purpose} 只使用其中的文本（要从标签学习，"
                                "请用 `python train.py add`）")
        for value in frame[column].tolist():
            rows_read += 1
            try:
                text, _ = check_text(value)
            except InputError:
                continue
            usable += 1
            key = duplicate_key(text)
            if key in known_keys:
                known += 1
                continue
            hashed = hash(key)  # a number per distinct text keeps memory small for big files
            if hashed in rows_by_key:
                rows_by_key[hashed] += 1
                continue
            rows_by_key[hashed] = 1
            distinct += 1
            if len(reservoir) < cap:
                reservoir.append(text)
            else:
                j = rng.randrange(distinct)
                if j < cap:
                    reservoir[j] = text
        if progress:
            progress(rows_read)
    return Stream(reservoir, Path(path).name if path != "-" else "stdin", sha256_file(path) if path != "-" else "",
                  rows_read, usable, known, distinct > cap, rows_by_key, warnings)


def read_background(path: str, text_column: str | None = None, encoding: str | None = None, corpus_keys=(),
                    progress=None, seed: int = 0) -> Stream:
    """The stream adapt learns from: enough distinct texts, and not one text repeated over most of the file."""
    stream = read_stream(path, text_column, encoding, corpus_keys, progress, seed)
    name = stream.file
    if stream.rows_usable < MIN_ROWS or len(stream.texts) < MIN_ROWS:
        raise InputError(f"{name} 只有 {stream.rows_usable} 行可用（{len(stream.texts)} 条不重复）；适配至少需要本地 "
                         f"{MIN_ROWS} 条不重复的广告")
    top = max(stream.rows_by_key.values()) if stream.rows_by_key else 0
    if top > MAX_TOP_SHARE * stream.rows_usable:
        raise InputError(f"{name} 大部分是同一条重复文本（{stream.rows_usable} 行中有 {top} 行）；无法反映本地广告。"
                         "请检查 --text-column 或导出文件")
    return stream


def _held_out_scores(train_df: pd.DataFrame, background, params, folds: int = 2, seed: int = 0):
    """Scores of the background from models that did not see the part being scored."""
    order = np.random.default_rng(seed).permutation(len(background))
    scores = np.zeros(len(background))
    bg = np.asarray(background, dtype=object)
    weights = train_df["weight"] if "weight" in train_df else np.ones(len(train_df))
    for k in range(folds):
        held = order[k::folds]
        kept = np.setdiff1d(order, held)
        model = fit_pipeline(train_df["text"], train_df["label"], weights, params, bg[kept].tolist(), BACKGROUND_WEIGHT)
        scores[held] = model.predict_proba(bg[held].tolist())[:, 1]
    return scores


def adapt(train_df: pd.DataFrame, background: list, threshold_hint: float, params: dict | None = None,
          notify=None):
    """Rounds of setting aside; returns (thresholded model, set-aside table, remaining background, rounds info,
    cv metrics). The threshold follows the rule of ``train.py fit``, with the background in every fold's training."""
    notify = notify or (lambda m: None)
    params = {**DEFAULT_PARAMS, **(params or {})}
    remaining = list(background)
    set_aside, rounds = [], []
    for r in range(1, MAX_ROUNDS + 1):
        scores = _held_out_scores(train_df, remaining, params, seed=r)
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
    notify(f"正在用 {len(train_df)} 条语料和 {len(remaining)} 条背景文本训练适配模型……")
    model, cv = train(train_df, params, background=remaining, background_weight=BACKGROUND_WEIGHT)
    table = pd.DataFrame(set_aside, columns=["text", "score", "round"])
    return model, table, remaining, rounds, cv
