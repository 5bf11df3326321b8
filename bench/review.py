"""An inspector with few labels, simulated: how much the review queue teaches against labels picked at random.

The stream is the read half of fbs_dev.csv (half A) without its labels. `train.py review`'s
queue picks N ads; their labels come from half A; the cases are added, weighted as `train.py
add` weights them; average precision and ROC-AUC are measured on the measured half (half B).
Beside it: N ads picked at random from half A (mean of three draws) and no labels at all,
each with and without `adapt` on half A first. Models here are fitted once on the corpus's
train split plus the cases (no cross-validation: the figures do not depend on a threshold).

    python bench/review.py                  the table for N = 50, 100, 300
    python bench/review.py --choose-weight  the case weight, chosen on half A alone (A1 stream, A2 measured)
    python bench/review.py --choose-mix     the queue's mix, chosen the same way
"""
from __future__ import annotations

import hashlib
import sys
import tempfile
import time
from pathlib import Path

import click
import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, roc_auc_score

sys.path.insert(0, str(Path(__file__).resolve().parent))
from real_data import MEASURED, READ, builtin_scorer, fbs_halves  # noqa: E402

from features.pipeline import DEFAULT_PARAMS  # noqa: E402
from screener.config import DEFAULT_DATA  # noqa: E402
from screener.corpus import duplicate_key, load_corpus  # noqa: E402
from screener.retrain.adapt import BACKGROUND_WEIGHT, adapt, read_background  # noqa: E402
from screener.retrain.promotion import CASE_WEIGHT  # noqa: E402
from screener.retrain.review import MIX, build_queue  # noqa: E402
from screener.scoring import Scorer  # noqa: E402
from screener.training import fit_pipeline, with_threshold  # noqa: E402

RANDOM_DRAWS = 3


class Simulation:
    """One stream (its labels hidden from the queue) and one measured set."""

    def __init__(self, stream: pd.DataFrame, measured: pd.DataFrame, corpus_train: pd.DataFrame, folder: Path):
        self.stream, self.measured, self.corpus = stream, measured, corpus_train
        self.label_of = {duplicate_key(t): int(y) for t, y in zip(stream["text"], stream["label"])}
        self.path = folder / "stream.csv"
        stream[["text"]].to_csv(self.path, index=False)
        self.known = set(corpus_train["text"].map(duplicate_key))

    def figures(self, model) -> tuple[float, float]:
        scores = model.predict_proba(self.measured["text"].tolist())[:, 1]
        return (average_precision_score(self.measured["label"], scores), roc_auc_score(self.measured["label"], scores))

    def fit(self, texts: list[str], weight: float, background=()):
        labels = [self.label_of[duplicate_key(t)] for t in texts]
        return fit_pipeline(self.corpus["text"].tolist() + list(texts), self.corpus["label"].tolist() + labels,
                            [1.0] * len(self.corpus) + [weight] * len(texts), DEFAULT_PARAMS, background,
                            BACKGROUND_WEIGHT)

    def queue(self, scorer: Scorer, budget: int, mix=None) -> list[str]:
        return build_queue(scorer, str(self.path), known_keys=self.known, budget=budget, mix=mix).table["text"].tolist()

    def random(self, budget: int, seed: int) -> list[str]:
        texts = self.stream["text"].drop_duplicates()
        return texts.sample(n=min(budget, len(texts)), random_state=seed).tolist()

    def adapted(self, threshold_hint: float):
        background = read_background(str(self.path), corpus_keys=self.known).texts
        model, _, remaining, _, _ = adapt(self.corpus, background, threshold_hint)
        return model, remaining


def _scorer(model, reference: Scorer) -> Scorer:
    fitted = model if hasattr(model, "threshold") else with_threshold(model, reference.threshold)
    return Scorer.of_pipeline(fitted, {"version": "simulated"}, reference.threshold)


def _split_by_group(df: pd.DataFrame, salt: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    side = df["group"].map(lambda g: int(hashlib.sha1(f"{salt}:{g}".encode()).hexdigest(), 16) % 2)
    return df[side == 0].reset_index(drop=True), df[side == 1].reset_index(drop=True)


def _row(name: str, ap: float, auc: float, seconds: float | None = None) -> str:
    took = f"{seconds:8.0f}" if seconds is not None else ""
    return f"  {name:<38}{ap:>8.3f}{auc:>9.3f}{took}"


def run_table(sim: Simulation, builtin: Scorer, budgets, with_adapt: bool) -> None:
    modes = [("without adapt", None)]
    if with_adapt:
        t = time.perf_counter()
        model, remaining = sim.adapted(builtin.threshold)
        modes.append((f"after adapt on half A ({time.perf_counter() - t:.0f} s)", (model, remaining)))
    for title, adapted in modes:
        base = _scorer(adapted[0], builtin) if adapted else builtin
        background = adapted[1] if adapted else ()
        print(f"\n{title}: measured on half B ({len(sim.measured)} messages, {int(sim.measured['label'].sum())} "
              f"suspicious); case weight {CASE_WEIGHT:g}")
        print(f"  {'labels':<38}{'AP':>8}{'ROC-AUC':>9}")
        print(_row("none", *sim.figures(base.model)))
        for n in budgets:
            queued = sim.queue(base, n)
            found = sum(sim.label_of[duplicate_key(t)] for t in queued)
            print(_row(f"review queue, N={n} ({found} suspicious)", *sim.figures(sim.fit(queued, CASE_WEIGHT,
                                                                                           background))))
            draws = [sim.figures(sim.fit(sim.random(n, seed), CASE_WEIGHT, background)) for seed in range(RANDOM_DRAWS)]
            print(_row(f"random, N={n} (mean of {RANDOM_DRAWS})", *np.mean(draws, axis=0)))


@click.command()
@click.option("--budgets", default="50,100,300", show_default=True)
@click.option("--no-adapt", is_flag=True, help="Skip the runs after adapt (they take a few minutes).")
@click.option("--choose-weight", is_flag=True, help="Compare case weights on half A alone.")
@click.option("--choose-mix", is_flag=True, help="Compare queue mixes on half A alone.")
def main(budgets, no_adapt, choose_weight, choose_mix):
    fbs = fbs_halves()
    corpus = load_corpus(DEFAULT_DATA)
    corpus_train = corpus[corpus["split"] == "train"].reset_index(drop=True)
    builtin = builtin_scorer()
    budgets = [int(b) for b in budgets.split(",")]
    with tempfile.TemporaryDirectory() as folder:
        read, measured = fbs[fbs["half"] == READ].reset_index(drop=True), fbs[fbs["half"] == MEASURED]
        if choose_weight or choose_mix:
            a1, a2 = _split_by_group(read, "review-choice")
            sim = Simulation(a1, a2, corpus_train, Path(folder))
            print(f"half A only: stream A1 {len(a1)} ({int(a1['label'].sum())} suspicious), "
                  f"measured A2 {len(a2)} ({int(a2['label'].sum())} suspicious)")
            if choose_weight:
                for n in budgets:
                    queued = sim.queue(builtin, n)
                    for weight in (1, 5, 10, 20, 40):
                        print(_row(f"N={n} weight {weight}", *sim.figures(sim.fit(queued, weight))))
            if choose_mix:
                mixes = {"leads only": {"lead": 1.0}, "shipped": MIX,
                         "half leads": {"lead": 0.5, "uncertain": 0.3, "new_kind": 0.2},
                         "uncertain first": {"lead": 0.3, "uncertain": 0.5, "new_kind": 0.2}}
                for n in budgets:
                    for name, mix in mixes.items():
                        queued = sim.queue(builtin, n, mix)
                        print(_row(f"N={n} {name}", *sim.figures(sim.fit(queued, CASE_WEIGHT))))
            return
        sim = Simulation(read, measured, corpus_train, Path(folder))
        print(f"stream: half A of fbs_dev.csv, {len(read)} messages ({int(read['label'].sum())} suspicious), "
              "labels hidden from the queue")
        run_table(sim, builtin, budgets, with_adapt=not no_adapt)


if __name__ == "__main__":
    main()
