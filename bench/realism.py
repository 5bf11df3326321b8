"""How far the corpus is from real streams, measured with a plain model.

Trains a plain character 1-3-gram TF-IDF + logistic regression on the corpus's
train split (no normalisation, no red flags) and prints its ROC-AUC and average
precision on the measured half of the real fake-base-station SMS and the share of
real normal SMS it scores at or above 0.5.

Example:
    python bench/realism.py --real ../shared/data/real
"""
from __future__ import annotations

import sys
from pathlib import Path

import click
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.pipeline import make_pipeline

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from real_data import MEASURED, fbs_halves  # noqa: E402


def plain_model():
    return make_pipeline(TfidfVectorizer(analyzer="char", ngram_range=(1, 3), min_df=2, sublinear_tf=True),
                         LogisticRegression(C=4.0, class_weight="balanced", max_iter=5000, solver="liblinear"))


@click.command()
@click.option("--data", default=str(ROOT / "data" / "ads.csv"), show_default=True, help="Corpus CSV.")
@click.option("--real", default=str(ROOT.parent / "shared" / "data" / "real"), show_default=True,
              help="Folder with fbs_dev.csv and sms_normal.csv.")
def main(data, real):
    """Realism of the corpus: a plain character n-gram model judged on real SMS."""
    corpus = pd.read_csv(data)
    train = corpus[corpus["split"] == "train"]
    model = plain_model().fit(train["text"], train["label"])
    fbs = fbs_halves(Path(real) / "fbs_dev.csv")
    fbs = fbs[fbs["half"] == MEASURED]
    normal = pd.read_csv(Path(real) / "sms_normal.csv")
    p_fbs = model.predict_proba(fbs["text"].astype(str))[:, 1]
    p_normal = model.predict_proba(normal["text"].astype(str))[:, 1]
    print(f"train_rows={len(train)} fbs_roc_auc={roc_auc_score(fbs['label'], p_fbs):.4f} "
          f"fbs_average_precision={average_precision_score(fbs['label'], p_fbs):.4f} "
          f"sms_normal_flagged={(p_normal >= 0.5).mean():.4f}")


if __name__ == "__main__":
    main()
