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

import random
import resource
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


def timed(cmd: list[str]) -> tuple[float, float]:
    """Seconds and peak RSS in MB (the largest process of the command) of a command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=ROOT)
    seconds = time.perf_counter() - started
    return seconds, max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before) / 1024


def naive_script(folder: Path, body: str) -> tuple[Path, Path]:
    """(script, model): the baseline pipeline trained and saved in folder, and a script of ``body`` that can
    unpickle it (it names this module's tokenizer)."""
    model = folder / "baseline.joblib"
    train_baseline(model)
    script = folder / "naive.py"
    script.write_text(f"import sys\nsys.path.insert(0, {str(Path(__file__).resolve().parent)!r})\n"
                      f"from batch import jieba_words  # noqa: F401  (the pickled tokenizer)\n{body}",
                      encoding="utf-8")
    return script, model


def train_baseline(path: Path) -> None:
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
@click.option("--dask", "dask_workers", multiple=True, type=int,
              help="Also time the Dask path (Parquet in, Parquet out) on a local cluster of this many workers "
                   "(repeat: --dask 1 --dask 2).")
def main(rows, input_path, real, jobs, explain, dask_workers):
    """Benchmark batch screening against a naive batched script."""
    ensure_builtin_model(default_models_dir(), DEFAULT_DATA, notify=lambda m: print(m, file=sys.stderr))
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        src = Path(input_path) if input_path else tmp / "ads.csv"
        if not input_path:
            pd.DataFrame({"text": real_ads(rows) if real else make_ads(rows)}).to_csv(src, index=False)
        n = sum(len(c) for c in pd.read_csv(src, usecols=["text"], chunksize=100_000))
        script, model = naive_script(tmp, BASELINE)
        base_seconds, base_peak = timed([sys.executable, str(script), str(model), str(src), str(tmp / "naive.csv")])
        cmd = [sys.executable, "predict.py", "--input", str(src), "--output", str(tmp / "screened.csv"), "--quiet",
               "--explain", explain] + (["--jobs", str(jobs)] if jobs else [])
        seconds, peak = timed(cmd)
        on_dask = []
        if dask_workers:
            parquet = tmp / "ads.parquet"
            pd.read_csv(src).to_parquet(parquet, row_group_size=10_000)
            for workers in dask_workers:
                on_dask.append((workers, *timed([sys.executable, "predict.py", "--input", str(parquet), "--output",
                                                 str(tmp / f"dask{workers}.parquet"), "--quiet", "--explain", explain,
                                                 "--scheduler", f"local:{workers}"])))
    rate, base_rate = n / seconds, n / base_seconds
    print(f"rows={n:,}  cores={__import__('os').cpu_count()}")
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
