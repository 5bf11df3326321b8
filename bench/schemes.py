"""How well the scheme is named: macro-F1 on the corpus test split, accuracy on real flagged frauds.

The real frauds are the suspicious messages of the read half of fbs_dev.csv, labelled by
scheme by hand (bench/fbs_read_schemes.csv holds the sha1 of each text and its scheme, not
the text); accuracy is counted on those the model flags. The measured half is not
labelled, since labelling means reading.

Run: python bench/schemes.py [--models-dir DIR]
"""
from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import click
import pandas as pd
from sklearn.metrics import classification_report, f1_score

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from real_data import builtin_scorer, READ, fbs_halves  # noqa: E402

from features.ad import read_ad  # noqa: E402
from screener.config import DEFAULT_DATA  # noqa: E402
from screener.corpus import SUSPICIOUS_CATEGORIES  # noqa: E402


@click.command()
@click.option("--models-dir", type=click.Path(file_okay=False), default=None)
@click.option("--report", is_flag=True, help="Also print per-scheme precision and recall on the corpus.")
def main(models_dir, report):
    scorer = builtin_scorer(models_dir)
    ads = pd.read_csv(DEFAULT_DATA, keep_default_na=False)
    test = ads[(ads["split"] == "test") & (ads["label"] == 1) & ads["category"].isin(SUSPICIOUS_CATEGORIES)]
    compact = scorer.compact
    X = compact.transform([read_ad(t) for t in test["text"]])
    predicted = [compact.scheme_classes[int(compact.scheme_proba(X, i).argmax())] for i in range(len(test))]
    print(f"model {scorer.version}: corpus test split, {len(test)} suspicious ads, 20 schemes: "
          f"macro-F1 {f1_score(test['category'], predicted, average='macro'):.3f}")
    if report:
        print(classification_report(test["category"], predicted, zero_division=0))
    labels = pd.read_csv(HERE / "fbs_read_schemes.csv")
    fbs = fbs_halves()
    fbs = fbs[(fbs["half"] == READ) & (fbs["label"] == 1)].copy()
    fbs["sha1"] = fbs["text"].map(lambda t: hashlib.sha1(t.encode("utf-8")).hexdigest())
    fbs = fbs.merge(labels, on="sha1")
    results = scorer.analyse(fbs["text"].tolist())
    flagged = [(r.scheme, s) for r, s in zip(results, fbs["scheme"]) if r.flagged]
    right = sum(p == s for p, s in flagged)
    print(f"fbs_dev read half: {len(fbs)} real frauds labelled by scheme, {len(flagged)} flagged, "
          f"right scheme {right} ({right / max(len(flagged), 1):.0%})")


if __name__ == "__main__":
    main()
