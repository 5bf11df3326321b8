"""Quality of the built-in model on real messages it never trained on.

Prints, for the measured half of fbs_dev.csv (and the read half, marked as read),
ROC-AUC, average precision, precision and recall at the model's threshold, the share of
sms_normal.csv flagged, and the share of the corpus test split's news and court reports
flagged. Run: python bench/quality.py [--models-dir DIR]
"""
from __future__ import annotations

import sys
from pathlib import Path

import click
import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, precision_score, recall_score, roc_auc_score

sys.path.insert(0, str(Path(__file__).resolve().parent))
from real_data import builtin_scorer, MEASURED, READ, fbs_halves, sms_normal  # noqa: E402

from screener.config import DEFAULT_DATA  # noqa: E402

REPORT_CATEGORIES = ("news",)


def stream_figures(labels, scores, threshold: float) -> dict:
    labels, scores = np.asarray(labels), np.asarray(scores)
    flagged = scores >= threshold
    return {"n": len(labels), "positives": int(labels.sum()), "roc_auc": roc_auc_score(labels, scores),
            "ap": average_precision_score(labels, scores), "precision": precision_score(labels, flagged, zero_division=0),
            "recall": recall_score(labels, flagged)}


def measure(scorer) -> dict:
    fbs = fbs_halves()
    fbs_scores = scorer.scores(fbs["text"].astype(str))
    out = {}
    for half in (MEASURED, READ):
        part = (fbs["half"] == half).to_numpy()
        out[f"fbs_{half}"] = stream_figures(fbs["label"][part], fbs_scores[part], scorer.threshold)
    out["sms_normal_flagged"] = float(np.mean(scorer.scores(sms_normal()["text"].astype(str)) >= scorer.threshold))
    ads = pd.read_csv(DEFAULT_DATA)
    reports = ads[(ads["split"] == "test") & ads["category"].isin(REPORT_CATEGORIES)]
    out["news_reports_flagged"] = float(np.mean(scorer.scores(reports["text"]) >= scorer.threshold))
    out["news_reports_n"] = len(reports)
    return out


@click.command()
@click.option("--models-dir", type=click.Path(file_okay=False), default=None)
def main(models_dir):
    scorer = builtin_scorer(models_dir)
    figures = measure(scorer)
    print(f"model {scorer.version}, threshold {scorer.threshold:.3f}")
    for half in (MEASURED, READ):
        f = figures[f"fbs_{half}"]
        note = "" if half == MEASURED else "   (read while writing data: overstates)"
        print(f"fbs_dev {half:<9} n={f['n']} pos={f['positives']}  ROC-AUC {f['roc_auc']:.3f}  AP {f['ap']:.3f}  "
              f"precision {f['precision']:.2f}  recall {f['recall']:.2f}{note}")
    print(f"sms_normal flagged {figures['sms_normal_flagged']:.2%}")
    print(f"corpus test news/court reports flagged {figures['news_reports_flagged']:.2%} "
          f"(n={figures['news_reports_n']})")


if __name__ == "__main__":
    main()
