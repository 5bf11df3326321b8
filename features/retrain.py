"""Retraining: a candidate model against the current one on the same test data, then promote or refuse."""
from __future__ import annotations

import os
import signal
import tempfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

from .cases import CASE_COLUMNS, load_cases, plan_add
from .corpus import duplicate_key
from .errors import DataError
from .scoring import Screener, open_screener
from .store import ModelStore
from .training import fit_and_save, load_corpus, metrics, sha256_of

F1_TOLERANCE = 0.01
ROC_AUC_TOLERANCE = 0.01
PROMOTION_RULE = (f"promoted when, on the same test data, the candidate's F1 is at least the current model's minus "
                  f"{F1_TOLERANCE} and its ROC-AUC at least the current's minus {ROC_AUC_TOLERANCE}")
COMPARED = ("precision", "recall", "f1", "roc_auc", "pr_auc")


def compare(current: Screener, candidate: Screener, test_df: pd.DataFrame) -> dict:
    """Both models on the same rows, and how many rows the current got right that the candidate gets wrong."""
    texts, labels = test_df["text"].tolist(), test_df["label"].to_numpy()
    cur, cand = current.scores(texts), candidate.scores(texts)
    cur_right = (cur >= current.threshold) == (labels == 1)
    cand_right = (cand >= candidate.threshold) == (labels == 1)
    return {"n": len(texts), "current_version": current.version, "candidate_version": candidate.version,
            "current": metrics(labels, cur, current.threshold), "candidate": metrics(labels, cand, candidate.threshold),
            "newly_wrong": int((cur_right & ~cand_right).sum()), "newly_right": int((~cur_right & cand_right).sum())}


def should_promote(cmp: dict) -> bool:
    cur, cand = cmp["current"], cmp["candidate"]
    auc_ok = cur["roc_auc"] is None or cand["roc_auc"] >= cur["roc_auc"] - ROC_AUC_TOLERANCE
    return cand["f1"] >= cur["f1"] - F1_TOLERANCE and auc_ok


def comparison_table(cmp: dict) -> str:
    lines = [f"on {cmp['n']} test rows    current ({cmp['current_version']})    candidate ({cmp['candidate_version']})"]
    for k in COMPARED:
        c, d = cmp["current"][k], cmp["candidate"][k]
        lines.append(f"  {k:<22}{'-' if c is None else f'{c:.4f}':>14}{'-' if d is None else f'{d:.4f}':>22}")
    lines.append(f"  {'newly wrong (was right)':<22}{'':>14}{cmp['newly_wrong']:>22}")
    lines.append(f"  {'newly right (was wrong)':<22}{'':>14}{cmp['newly_right']:>22}")
    return "\n".join(lines)


@contextmanager
def _signals_held():
    """Hold Ctrl-C and SIGTERM while the corpus side and the model pointer change together."""
    held = {signal.SIGINT, signal.SIGTERM}
    old = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def add_cases(new_path: str, *, corpus_path: Path, cases_path: Path, store: ModelStore, prefer_new: bool = False,
              force: bool = False, encoding: str | None = None, notify=None) -> dict:
    """Validate new cases, train a candidate, compare, and promote it with the cases, or change nothing."""
    notify = notify or (lambda m: None)
    corpus = load_corpus(corpus_path)
    cases = load_cases(cases_path)
    plan = plan_add(new_path, corpus, cases, prefer_new=prefer_new, encoding=encoding)
    if plan.accepted.empty:
        return {"added": 0, "duplicates": plan.duplicates, "promoted": False, "version": None}
    current = open_screener(store.root, data_path=corpus_path, notify=notify)
    keep = lambda df: df[~df["text"].map(duplicate_key).isin(plan.overridden)]  # noqa: E731
    all_cases = pd.concat([keep(cases), plan.accepted], ignore_index=True)
    all_cases["group"] = all_cases["id"]  # each case is its own group in cross-validation
    corpus = keep(corpus)
    train_df = pd.concat([corpus[corpus["split"] == "train"], all_cases[all_cases["split"] == "train"]],
                         ignore_index=True)
    test_df = pd.concat([corpus[corpus["split"] == "test"], all_cases[all_cases["split"] == "test"]],
                        ignore_index=True)
    for frame in (train_df, test_df):
        frame["label"] = frame["label"].astype(int)
    cases_path.parent.mkdir(parents=True, exist_ok=True)
    fd, staged = tempfile.mkstemp(prefix=f".{cases_path.name}.", suffix=".partial", dir=cases_path.parent)
    os.close(fd)
    version, promoted = store.next_version(), False
    try:
        all_cases[list(CASE_COLUMNS)].to_csv(staged, index=False, encoding="utf-8")
        data_info = {"path": str(corpus_path), "sha256": sha256_of(corpus_path),
                     "cases": {"path": str(cases_path), "sha256": sha256_of(staged), "rows": int(len(all_cases)),
                               "added": int(len(plan.accepted)), "source": os.path.basename(new_path)}}
        fit_and_save(train_df, test_df, store, version, data_info, notify=notify, make_current=False, kind="add",
                     extra_metadata={"parent": current.version})
        candidate = Screener(*store.load(version))
        cmp = compare(current, candidate, test_df)
        promoted = force or should_promote(cmp)
        store.update_metadata(version, {"comparison": cmp, "promotion_rule": PROMOTION_RULE,
                                        "promoted": promoted, "forced": bool(force and not should_promote(cmp))})
        if promoted:
            with _signals_held():
                os.replace(staged, cases_path)
                store.set_current(version)
    except BaseException:
        if not promoted:
            store.remove(version)
        raise
    finally:
        if os.path.exists(staged):
            os.unlink(staged)
    result = {"added": int(len(plan.accepted)), "duplicates": plan.duplicates, "overridden": len(plan.overridden),
              "version": version, "comparison": cmp, "promoted": promoted,
              "forced": bool(force and not should_promote(cmp))}
    if not promoted:
        store.remove(version)
    return result
