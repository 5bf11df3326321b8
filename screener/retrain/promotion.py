"""Retraining: a candidate model against the current one on the same test data, then promote or refuse."""
from __future__ import annotations

import os
import signal
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from ..builtin import ensure_builtin_model
from ..config import CASE_WEIGHT
from ..corpus import duplicate_key, load_corpus
from ..errors import DataError
from ..files import atomic_file, remove_stale_partials, sha256_file
from ..report import format_red_flags
from ..scoring import Scorer, load_scorer
from ..store import ModelStore, one_writer
from ..training import fit_and_save, metrics, model_metadata, model_parts, train_schemes
from .adapt import (ADAPT_RULE as METHOD, BACKGROUND_PART, BACKGROUND_WEIGHT, MAX_ROUNDS, SAMPLE_CAP, SET_ASIDE_SHARE,
                    adapt, read_background)
from .cases import CASE_COLUMNS, load_cases, plan_add
from .review import DEFAULT_BUDGET, Queue, build_queue

F1_TOLERANCE = 0.01
ROC_AUC_TOLERANCE = 0.01
PROMOTION_RULE = (f"promoted when, on the same test data, the candidate's F1 is at least the current model's minus "
                  f"{F1_TOLERANCE} and its ROC-AUC at least the current's minus {ROC_AUC_TOLERANCE}")
COMPARED = ("precision", "recall", "f1", "roc_auc", "pr_auc")


def compare(current: Scorer, candidate: Scorer, test_df: pd.DataFrame) -> dict:
    """Both models on the same rows, and how many rows the current got right that the candidate gets wrong."""
    texts, labels = test_df["text"].tolist(), test_df["label"].to_numpy()
    cur, cand = current.scores(texts), candidate.scores(texts)
    cur_right = (cur >= current.threshold) == (labels == 1)
    cand_right = (cand >= candidate.threshold) == (labels == 1)
    return {"n": len(texts), "current_version": current.version, "candidate_version": candidate.version,
            "current": metrics(labels, cur, current.threshold), "candidate": metrics(labels, cand, candidate.threshold),
            "newly_wrong": int((cur_right & ~cand_right).sum()), "newly_right": int((~cur_right & cand_right).sum())}


def should_promote(cmp: dict, f1_tolerance: float = F1_TOLERANCE, auc_tolerance: float = ROC_AUC_TOLERANCE) -> bool:
    cur, cand = cmp["current"], cmp["candidate"]
    auc_ok = cur["roc_auc"] is None or cand["roc_auc"] >= cur["roc_auc"] - auc_tolerance
    return cand["f1"] >= cur["f1"] - f1_tolerance and auc_ok


COMPARED_NAMES = {"precision": "精确率 precision", "recall": "召回率 recall", "f1": "F1", "roc_auc": "ROC-AUC",
                  "pr_auc": "PR-AUC"}


def comparison_table(cmp: dict) -> str:
    lines = [f"在 {cmp['n']} 条测试数据上    当前模型 ({cmp['current_version']})    候选模型 ({cmp['candidate_version']})"]
    for k in COMPARED:
        c, d = cmp["current"][k], cmp["candidate"][k]
        lines.append(f"  {COMPARED_NAMES[k]:<20}{'-' if c is None else f'{c:.4f}':>14}{'-' if d is None else f'{d:.4f}':>22}")
    lines.append(f"  {'新增错判（原本正确）':<14}{'':>14}{cmp['newly_wrong']:>22}")
    lines.append(f"  {'新增正确（原本错判）':<14}{'':>14}{cmp['newly_right']:>22}")
    return "\n".join(lines)


def _candidate_round(store: ModelStore, current: Scorer, test_df: pd.DataFrame, build, *, force: bool, rule: str,
                     f1_tolerance: float, commit=None) -> dict:
    """Build a candidate version, compare it with the current model, then promote it or remove it.

    ``build(version)`` trains and saves the candidate and returns it loaded. On promotion,
    ``commit()`` (what else changes with the model) and the current pointer change together,
    with Ctrl-C held off; on refusal or interruption the candidate is removed.
    """
    version, promoted = store.next_version(), False
    try:
        candidate = build(version)
        cmp = compare(current, candidate, test_df)
        passes = should_promote(cmp, f1_tolerance, ROC_AUC_TOLERANCE)
        promoted = force or passes
        store.update_metadata(version, {"comparison": cmp, "promotion_rule": rule, "promoted": promoted,
                                        "forced": promoted and not passes})
        if promoted:
            with _signals_held():
                if commit:
                    commit()
                store.set_current(version)
    except BaseException:
        if not promoted and store.path(version).exists():
            store.remove(version)
        raise
    if not promoted:
        store.remove(version)
    return {"version": version, "comparison": cmp, "promoted": promoted, "forced": promoted and not passes}


def training_rows(corpus: pd.DataFrame, cases: pd.DataFrame, case_weight: float = CASE_WEIGHT):
    """(train, test): the corpus splits, each with the cases of the same side; cases weigh ``case_weight``."""
    corpus = corpus.assign(weight=1.0)
    cases = cases.assign(group=cases["id"], weight=float(case_weight))  # each case is its own group in cv
    train_df = pd.concat([corpus[corpus["split"] == "train"], cases[cases["split"] == "train"]], ignore_index=True)
    test_df = pd.concat([corpus[corpus["split"] == "test"], cases[cases["split"] == "test"]], ignore_index=True)
    for frame in (train_df, test_df):
        frame["label"] = frame["label"].astype(int)
    return train_df, test_df


@contextmanager
def _signals_held():
    """Hold Ctrl-C and SIGTERM while the corpus side and the model pointer change together."""
    held = {signal.SIGINT, signal.SIGTERM}
    old = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


@one_writer
def add_cases(new_path: str, *, corpus_path: Path, cases_path: Path, store: ModelStore, prefer_new: bool = False,
              force: bool = False, encoding: str | None = None, case_weight: float | None = None,
              notify=None) -> dict:
    """Validate new cases, train a candidate, compare, and promote it with the cases, or change nothing.

    When the current model was adapted to an office's stream, the candidate keeps that background.
    """
    case_weight = CASE_WEIGHT if case_weight is None else float(case_weight)
    if case_weight <= 0:
        raise DataError(f"案例权重须大于 0（现为 {case_weight:g}）")
    notify = notify or (lambda m: None)
    corpus = load_corpus(corpus_path)
    cases = load_cases(cases_path)
    plan = plan_add(new_path, corpus, cases, prefer_new=prefer_new, encoding=encoding)
    if plan.accepted.empty:
        return {"added": 0, "duplicates": plan.duplicates, "promoted": False, "version": None}
    ensure_builtin_model(store.root, corpus_path, notify=notify)
    current = load_scorer(store.root)
    keep = lambda df: df[~df["text"].map(duplicate_key).isin(plan.overridden)]  # noqa: E731
    all_cases = pd.concat([keep(cases), plan.accepted], ignore_index=True)
    train_df, test_df = training_rows(keep(corpus), all_cases, case_weight)
    background = store.load_parts(current.version, (BACKGROUND_PART,)).get(BACKGROUND_PART) or []
    inherited = current.metadata.get("background")
    cases_path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_partials(cases_path)
    fd, staged = tempfile.mkstemp(prefix=f".{cases_path.name}.{os.getpid()}.", suffix=".partial", dir=cases_path.parent)
    os.close(fd)

    def build(version: str) -> Scorer:
        all_cases[list(CASE_COLUMNS)].to_csv(staged, index=False, encoding="utf-8")
        data_info = {"path": str(corpus_path), "sha256": sha256_file(corpus_path),
                     "cases": {"path": str(cases_path), "sha256": sha256_file(staged), "rows": int(len(all_cases)),
                               "added": int(len(plan.accepted)), "source": os.path.basename(new_path)}}
        extra = {"parent": current.version, "case_weight": case_weight,
                 "case_weight_rule": f"each case counts {case_weight:g} times an authored text "
                                     f"(default {CASE_WEIGHT:g}, chosen by bench/review.py --choose-weight)"}
        if background:
            extra["background"] = {**(inherited or {}), "inherited_from": current.version,
                                   "rows_used": len(background)}
        fit_and_save(train_df, test_df, store, version, data_info, notify=notify, make_current=False, kind="add",
                     extra_metadata=extra, background=background, background_weight=BACKGROUND_WEIGHT,
                     extra_parts={BACKGROUND_PART: background} if background else None)
        return load_scorer(store.root, version)

    try:
        outcome = _candidate_round(store, current, test_df, build, force=force, rule=PROMOTION_RULE,
                                   f1_tolerance=F1_TOLERANCE, commit=lambda: os.replace(staged, cases_path))
    finally:
        if os.path.exists(staged):
            os.unlink(staged)
    return {"added": int(len(plan.accepted)), "duplicates": plan.duplicates, "overridden": len(plan.overridden),
            **outcome}


# A stream's own ads say what normal looks like there; where they contradict hand-written test texts (a real stream's
# plain loan-broker ads beside the corpus's loan lures) the corpus F1 falls by 0.01-0.025, so 0.03 is allowed.
ADAPT_F1_TOLERANCE = 0.03
ADAPT_RULE = (f"an adapted model is promoted when, on the same test data, its F1 is at least the current model's "
              f"minus {ADAPT_F1_TOLERANCE} and its ROC-AUC at least the current's minus {ROC_AUC_TOLERANCE} "
              "(the background changes what normal looks like, so a little ground on hand-written tests is allowed)")


@one_writer
def adapt_to_listings(listings_path: str, *, corpus_path: Path, cases_path: Path, store: ModelStore,
                      text_column: str | None = None, encoding: str | None = None, force: bool = False,
                      notify=None) -> dict:
    """Train an adapted version on the corpus plus an office's unlabelled listings; compare; promote or not."""
    notify = notify or (lambda m: None)
    corpus, cases = load_corpus(corpus_path), load_cases(cases_path)
    train_df, test_df = training_rows(corpus, cases)
    known = set(corpus["text"].map(duplicate_key)) | set(cases["text"].map(duplicate_key))
    background = read_background(listings_path, text_column, encoding, known,
                                 progress=lambda n: notify(f"已读入 {listings_path} 的 {n:,} 行"))
    for w in background.warnings:
        notify(f"注意：{w}")
    notify(f"不重复的背景文本 {len(background.texts):,} 条"
           + (f"（从更多文本中抽样，上限 {SAMPLE_CAP:,}）" if background.sampled else ""))
    ensure_builtin_model(store.root, corpus_path, notify=notify)
    current = load_scorer(store.root)
    model, table, remaining, rounds, cv = adapt(train_df, background.texts, current.threshold, notify=notify)
    threshold = model.threshold
    test_scores = model.predict_proba(test_df["text"].tolist())[:, 1]
    data = {"path": str(corpus_path), "sha256": sha256_file(corpus_path), "train_rows": int(len(train_df)),
            "test_rows": int(len(test_df)),
            **({"cases": {"path": str(cases_path), "sha256": sha256_file(cases_path), "rows": int(len(cases))}}
               if Path(cases_path).is_file() else {})}
    background_info = {"file": background.file, "sha256": background.sha256, "rows_read": background.rows_read,
                       "rows_usable": background.rows_usable, "rows_used": len(background.texts) - len(table),
                       "sampled_to_cap": background.sampled, "cap": SAMPLE_CAP, "weight": BACKGROUND_WEIGHT,
                       "share_set_aside_per_round": SET_ASIDE_SHARE, "max_rounds": MAX_ROUNDS, "rounds": rounds,
                       "set_aside": int(len(table)), "method": METHOD}
    meta = model_metadata("adapt", current.metadata.get("params") or {}, data, threshold,
                          "as train.py fit, on corpus folds with the background always in training",
                          metrics(test_df["label"], test_scores, threshold), cv, parent=current.version,
                          background=background_info, case_weight=CASE_WEIGHT)
    leads = {}

    def build(version: str) -> Scorer:
        schemes, meta["scheme_test_macro_f1"] = train_schemes(model, train_df, test_df)
        # The background stays with the version, so that adding cases later keeps the adaptation.
        store.save(model, meta, version, parts=model_parts(model, schemes, {BACKGROUND_PART: remaining}))
        candidate = load_scorer(store.root, version)
        leads["table"] = _set_aside_table(candidate, table, background.file)
        with atomic_file(store.path(version) / "set_aside.csv", encoding="utf-8-sig") as (f, _):
            leads["table"].to_csv(f, index=False)
        return candidate

    outcome = _candidate_round(store, current, test_df, build, force=force, rule=ADAPT_RULE,
                               f1_tolerance=ADAPT_F1_TOLERANCE)
    return {**outcome, "set_aside": int(len(table)), "background": meta["background"], "leads": leads["table"],
            "set_aside_file": str(store.path(outcome["version"]) / "set_aside.csv")}


def _set_aside_table(screener: Scorer, table: pd.DataFrame, source: str) -> pd.DataFrame:
    """Leads for inspectors, likeliest first, in the format `train.py add` reads (fill in label)."""
    results = screener.analyse(table["text"].tolist()) if len(table) else []
    leads = pd.DataFrame({
        "text": table["text"].tolist(),
        "label": "",
        "category": "",
        "source": source,
        "score": [r.score for r in results],
        "level": [r.level for r in results],
        "red_flags": [format_red_flags(r.red_flags, r.red_flags_omitted) for r in results],
        "round": table["round"].tolist(),
    })
    return leads.sort_values("score", ascending=False, kind="stable").reset_index(drop=True)


def review_stream(listings_path: str, *, corpus_path: Path, cases_path: Path, store: ModelStore,
                  pending_path: Path | None = None, text_column: str | None = None, encoding: str | None = None,
                  budget: int = DEFAULT_BUDGET, model_version: str | None = None, scorer: Scorer | None = None,
                  notify=None) -> Queue:
    """The review queue of a stream, leaving out what the corpus, the cases and the pending verdicts label.

    The queue is chosen by ``scorer`` when given, else by the model version (the current one by default)."""
    notify = notify or (lambda m: None)
    corpus, cases = load_corpus(corpus_path), load_cases(cases_path)
    labelled = [cases["text"]]
    if pending_path is not None and Path(pending_path).is_file():
        labelled.append(pd.read_csv(pending_path, dtype=str, keep_default_na=False)["text"])
    case_texts = pd.concat(labelled, ignore_index=True).tolist()
    known = set(corpus["text"].map(duplicate_key)) | {duplicate_key(t) for t in case_texts}
    if scorer is None:
        ensure_builtin_model(store.root, corpus_path, model_version, notify=notify)
        scorer = load_scorer(store.root, model_version)
    return build_queue(scorer, listings_path, text_column=text_column, encoding=encoding, known_keys=known,
                       case_texts=case_texts, budget=budget,
                       progress=lambda n: notify(f"已读入 {listings_path} 的 {n:,} 行"))
