"""Wall time and peak memory of scoring one ad from a cold start, against a naive script, in one run.

(a) this project: ``python predict.py "AD"`` with the built-in model (the human-readable verdict:
    score, level, red flags, scheme, contacts, top terms);
(b) baseline: a script that loads a joblib jieba TF-IDF + logistic regression pipeline (trained on
    the same corpus here, before timing) and prints ``predict_proba`` for the ad.

Each command runs ``--runs`` times, alternating, after one untimed run of each (so both read
their caches: jieba's prefix dictionary, ours of derived character tables); the median is printed.

    python bench/cold_start.py --runs 7
"""
from __future__ import annotations

import statistics
import sys
import tempfile
from pathlib import Path
from subprocess import DEVNULL

import click

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from batch import naive_script, timed  # noqa: E402

from screener.config import DEFAULT_DATA, default_models_dir  # noqa: E402
from screener.builtin import ensure_builtin_model  # noqa: E402

AD = "养老公寓床位认购，年化收益18%，到期回购，保本保息，详询138 0013 8000"
BASELINE = '''
import sys, joblib
pipeline = joblib.load(sys.argv[1])
print(pipeline.predict_proba([sys.argv[2]])[0, 1])
'''


@click.command()
@click.option("--runs", default=7, show_default=True, help="Timed runs of each command.")
def main(runs):
    """Benchmark a cold single-ad predict.py against a naive joblib script."""
    ensure_builtin_model(default_models_dir(), DEFAULT_DATA, notify=lambda m: print(m, file=sys.stderr))
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        script, model = naive_script(tmp, BASELINE)
        ours = [sys.executable, "predict.py", AD]
        naive = [sys.executable, str(script), str(model), AD]
        timed(ours, DEVNULL), timed(naive, DEVNULL)  # caches warm
        results = {"ours": [], "naive": []}
        for _ in range(runs):
            results["ours"].append(timed(ours, DEVNULL))
            results["naive"].append(timed(naive, DEVNULL))
    (ours_s, ours_mb), (naive_s, naive_mb) = ([statistics.median(x) for x in zip(*results[k])] for k in ("ours", "naive"))
    print(f"one ad from a cold start, median of {runs} runs")
    print(f"  this project (predict.py \"AD\", full verdict): {ours_s:6.2f} s  peak {ours_mb:5.0f} MB")
    print(f"  naive script (joblib.load + predict_proba):   {naive_s:6.2f} s  peak {naive_mb:5.0f} MB")
    print(f"  ratio of wall times {ours_s / naive_s:.2f} (target at most 0.5)")


if __name__ == "__main__":
    main()
