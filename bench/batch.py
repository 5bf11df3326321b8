"""Throughput and peak memory of batch screening against a naive batched script, in one run.

(a) this project: ``predict.py --input FILE --output OUT`` (streamed, deduplicated, parallel;
    every row's score, level, red flags, scheme and contacts; top terms for flagged rows);
(b) baseline, what a competent engineer would write in an afternoon: one process that reads
    the CSV with pandas, scores it with a jieba word TF-IDF + logistic regression pipeline
    (trained on the same corpus here, before timing) by ``predict_proba`` 1,000 rows at a
    time, and writes the CSV.

Both run as separate commands on the same file, start-up included. Input: a CSV of
SMS-length ads; by default one is made from the corpus by mixing sentences of different
ads, so rows rarely repeat (about a fifth are flagged). With ``--real`` the rows are real
messages instead (``sms_normal.csv`` and ``fbs_dev.csv`` from ../shared/data/real, measured
here and never trained on), each with a number appended so that rows are distinct: longer
texts, and as few flagged as in a real stream.

Example:
    python bench/batch.py --rows 100000 --dask 1 --dask 2
    python bench/batch.py --rows 100000 --real
"""
from __future__ import annotations

import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import click
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from screener.config import DEFAULT_DATA, default_models_dir  # noqa: E402
from screener.builtin import ensure_builtin_model  # noqa: E402

BASELINE = '''
import sys, joblib, pandas as pd
pipeline = joblib.load(sys.argv[1])
frame = pd.read_csv(sys.argv[2])
texts = frame["text"].fillna("").astype(str).tolist()
scores = []
for start in range(0, len(texts), 1000):
    scores.extend(pipeline.predict_proba(texts[start:start + 1000])[:, 1])
frame["score"] = scores
frame.to_csv(sys.argv[3], index=False)
'''


def jieba_words(text: str) -> list[str]:
    import jieba

    return jieba.lcut(text)


def make_ads(n: int, seed: int = 0) -> list[str]:
    corpus = pd.read_csv(DEFAULT_DATA)["text"].tolist()
    pieces = [p for t in corpus for p in t.replace("！", "，").replace("。", "，").split("，") if len(p) >= 4]
    rng = random.Random(seed)
    return ["，".join(rng.sample(pieces, rng.randint(2, 4))) + f" {rng.randint(1, 99999)}" for _ in range(n)]


def real_ads(n: int, seed: int = 0) -> list[str]:
    from real_data import fbs_halves, sms_normal

    texts = sms_normal()["text"].astype(str).tolist() + fbs_halves()["text"].astype(str).tolist()
    rng = random.Random(seed)
    return [f"{rng.choice(texts)} {rng.randint(1, 99999)}" for _ in range(n)]


def timed(cmd: list[str], stdout=None) -> tuple[float, float]:
    """Seconds and peak RSS in MB of a command: its largest process (itself or a worker it waited for)."""
    started = time.perf_counter()
    process = subprocess.Popen(cmd, cwd=ROOT, stdout=stdout)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise subprocess.CalledProcessError(process.returncode, cmd)
    return seconds, usage.ru_maxrss / 1024


def _median(runs: list[tuple[float, float]]) -> tuple[float, float]:
    """The run of median time (its seconds and peak memory)."""
    return sorted(runs)[(len(runs) - 1) // 2]


def naive_script(folder: Path, body: str) -> tuple[Path, Path]:
    """(script, model): the baseline pipeline trained and saved in folder, and a script of ``body`` that can
    unpickle it (it names this module's tokenizer)."""
    model = folder / "baseline.joblib"
    header = (f"import sys\nsys.path.insert(0, {str(Path(__file__).resolve().parent)!r})\n"
              "from batch import jieba_words  # noqa: F401  (the pickled tokenizer)\n")
    # Trained in a process of its own: a process forked from a large one starts with that one's peak memory, and
    # this one must stay small for the peaks of the timed commands to be their own.
    subprocess.run([sys.executable, "-c", header + "from batch import train_baseline\ntrain_baseline(sys.argv[1])",
                    str(model)], check=True)
    script = folder / "naive.py"
    script.write_text(header + body, encoding="utf-8")
    return script, model


def train_baseline(path: str | Path) -> None:
    import joblib
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    corpus = pd.read_csv(DEFAULT_DATA)
    train = corpus[corpus["split"] == "train"]
    pipeline = make_pipeline(TfidfVectorizer(tokenizer=jieba_words, token_pattern=None, ngram_range=(1, 2),
                                             sublinear_tf=True, min_df=2),
                             LogisticRegression(C=4.0, max_iter=2000, class_weight="balanced"))
    pipeline.fit(train["text"].tolist(), train["label"].to_numpy())
    joblib.dump(pipeline, path)


@click.command()
@click.option("--rows", default=100_000, show_default=True, help="Rows in the generated file.")
@click.option("--input", "input_path", type=click.Path(exists=True, dir_okay=False),
              help="Use this CSV (with a text column) instead.")
@click.option("--real", is_flag=True, help="Make the rows from the real messages in ../shared/data/real.")
@click.option("--jobs", type=int, default=None, help="Workers for the batch command (default: all cores).")
@click.option("--explain", type=click.Choice(["flagged", "all"]), default="flagged", show_default=True)
@click.option("--repeat", default=1, show_default=True, type=click.IntRange(min=1),
              help="Time both commands this many times, alternately, and report the medians: a shared machine's "
                   "speed moves by a tenth or more between runs, for both alike.")
@click.option("--dask", "dask_workers", multiple=True, type=int,
              help="Also time the Dask path (Parquet in, Parquet out) on a local cluster of this many workers "
                   "(repeat: --dask 1 --dask 2).")
def main(rows, input_path, real, jobs, explain, repeat, dask_workers):
    """Benchmark batch screening against a naive batched script."""
    ensure_builtin_model(default_models_dir(), DEFAULT_DATA, notify=lambda m: print(m, file=sys.stderr))
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        src = Path(input_path) if input_path else tmp / "ads.csv"
        if not input_path:
            pd.DataFrame({"text": real_ads(rows) if real else make_ads(rows)}).to_csv(src, index=False)
        n = sum(len(c) for c in pd.read_csv(src, usecols=["text"], chunksize=100_000))
        script, model = naive_script(tmp, BASELINE)
        naive_cmd = [sys.executable, str(script), str(model), str(src), str(tmp / "naive.csv")]
        cmd = [sys.executable, "predict.py", "--input", str(src), "--output", str(tmp / "screened.csv"), "--quiet",
               "--explain", explain] + (["--jobs", str(jobs)] if jobs else [])
        base_runs, runs = [], []
        for _ in range(repeat):  # alternately, so that a slow spell of the machine falls on both
            base_runs.append(timed(naive_cmd))
            runs.append(timed(cmd))
        (base_seconds, base_peak), (seconds, peak) = _median(base_runs), _median(runs)
        on_dask = []
        if dask_workers:
            parquet = tmp / "ads.parquet"
            pd.read_csv(src).to_parquet(parquet, row_group_size=10_000)
            for workers in dask_workers:
                on_dask.append((workers, *timed([sys.executable, "predict.py", "--input", str(parquet), "--output",
                                                 str(tmp / f"dask{workers}.parquet"), "--quiet", "--explain", explain,
                                                 "--scheduler", f"local:{workers}"])))
    rate, base_rate = n / seconds, n / base_seconds
    print(f"rows={n:,}  cores={os.cpu_count()}" + (f"  medians of {repeat} alternate runs" if repeat > 1 else ""))
    if repeat > 1:
        print("  runs, this project / naive (ads/s): " + ", ".join(f"{n / a:,.0f} / {n / b:,.0f}"
                                                               for (a, _), (b, _) in zip(runs, base_runs)))
    print(f"  this project (predict.py --input, --explain {explain}): {seconds:7.1f} s  {rate:8,.0f} ads/s  "
          f"peak {peak:,.0f} MB")
    print(f"  naive batched script (pandas, jieba TF-IDF + LR, 1,000 rows at a time): {base_seconds:7.1f} s  "
          f"{base_rate:8,.0f} ads/s  peak {base_peak:,.0f} MB")
    print(f"  ratio {rate / base_rate:.2f}x")
    for workers, dask_seconds, dask_peak in on_dask:
        print(f"  Dask, local cluster of {workers} worker(s), Parquet of 10,000-row groups (start-up included): "
              f"{dask_seconds:7.1f} s  {n / dask_seconds:8,.0f} ads/s  peak {dask_peak:,.0f} MB (largest process)")


if __name__ == "__main__":
    main()
