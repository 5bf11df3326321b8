"""Throughput and peak memory of batch screening against a naive per-row script, in one run.

(a) this project: ``predict.py --input FILE --output OUT`` (streamed, deduplicated, parallel);
(b) baseline: one process, for each row ``jieba.lcut`` (the tokenizer a typical script uses)
    then the same trained pipeline's ``predict_proba`` on that one row.

The baseline runs on a sample of rows (it is slow) and its rate is per row; both paths'
scores are compared on that sample. Input: a CSV of SMS-length ads; by default one is made
from the corpus by mixing sentences of different ads, so rows rarely repeat.

Example:
    python bench/batch.py --rows 200000 --baseline-rows 5000
"""
from __future__ import annotations

import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import click
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from screener.config import DEFAULT_DATA, default_models_dir  # noqa: E402
from screener.scoring import load_scorer  # noqa: E402
from screener.training import ensure_builtin_model  # noqa: E402


def make_ads(n: int, seed: int = 0) -> list[str]:
    corpus = pd.read_csv(DEFAULT_DATA)["text"].tolist()
    pieces = [p for t in corpus for p in t.replace("！", "，").replace("。", "，").split("，") if len(p) >= 4]
    rng = random.Random(seed)
    return ["，".join(rng.sample(pieces, rng.randint(2, 4))) + f" {rng.randint(1, 99999)}" for _ in range(n)]


def run_batch(src: Path, out: Path, jobs: int | None) -> tuple[float, float]:
    """Seconds and peak RSS (MB, the largest of the command's processes) of the batch command."""
    cmd = [sys.executable, str(ROOT / "predict.py"), "--input", str(src), "--output", str(out), "--quiet"]
    if jobs:
        cmd += ["--jobs", str(jobs)]
    started = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    subprocess.run(cmd, check=True)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, max(peak, before) / 1024


def run_baseline(texts: list[str], screener) -> tuple[float, np.ndarray]:
    import jieba

    pipeline = screener.model
    scores = np.zeros(len(texts))
    started = time.perf_counter()
    for i, text in enumerate(texts):
        jieba.lcut(text)
        scores[i] = pipeline.predict_proba([text])[0, 1]
    return time.perf_counter() - started, scores


@click.command()
@click.option("--rows", default=200_000, show_default=True, help="Rows in the generated file.")
@click.option("--baseline-rows", default=5_000, show_default=True, help="Rows the baseline scores (it is slow).")
@click.option("--input", "input_path", type=click.Path(exists=True, dir_okay=False), help="Use this CSV instead.")
@click.option("--jobs", type=int, default=None, help="Workers for the batch command (default: all cores).")
def main(rows, baseline_rows, input_path, jobs):
    """Benchmark batch screening against a naive per-row baseline."""
    ensure_builtin_model(default_models_dir(), DEFAULT_DATA, notify=lambda m: print(m, file=sys.stderr))
    screener = load_scorer(default_models_dir())
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(input_path) if input_path else Path(tmp) / "ads.csv"
        if not input_path:
            pd.DataFrame({"text": make_ads(rows)}).to_csv(src, index=False)
        n = sum(len(c) for c in pd.read_csv(src, usecols=["text"], chunksize=100_000))
        out = Path(tmp) / "screened.csv"
        seconds, peak_mb = run_batch(src, out, jobs)
        sample = pd.read_csv(out, keep_default_na=False, encoding="utf-8-sig", nrows=baseline_rows)
        import jieba

        jieba.initialize()
        base_seconds, base_scores = run_baseline(sample["text"].astype(str).tolist(), screener)
        base_peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # this process: model + sample
    batch_rate, base_rate = n / seconds, len(sample) / base_seconds
    max_diff = float(np.max(np.abs(sample["score"].astype(float).to_numpy() - base_scores)))
    print(f"batch: rows={n} seconds={seconds:.1f} ads_per_s={batch_rate:,.0f} peak_mb={peak_mb:,.0f}")
    print(f"baseline: rows={len(sample)} seconds={base_seconds:.1f} ads_per_s={base_rate:,.0f} "
          f"peak_mb={base_peak_mb:,.0f}")
    print(f"speedup={batch_rate / base_rate:.1f}x max_score_difference={max_diff:.2e} "
          f"tokenizer={screener.metadata.get('tokenizer')}")


if __name__ == "__main__":
    main()
