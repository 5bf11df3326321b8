"""How well ads survive being photographed: OCR error, and scores from images beside scores from text.

Texts of the corpus test split and of the read half of fbs_dev.csv are rendered as flyers
(bench/flyers.py: Noto CJK fonts, sizes, colours, multi-line layouts, slight rotation,
blur, JPEG compression) and read back by the OCR of ``predict.py --image``. Prints the
character error rate (edit distance over the text's characters, spaces and line breaks
ignored), ROC-AUC and recall at the threshold from the images beside the same figures from
the texts, and seconds per image on one core.

    python bench/ocr.py --per-source 150
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import click
import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

sys.path.insert(0, str(Path(__file__).resolve().parent))
from flyers import fonts_available, render_flyer  # noqa: E402
from real_data import READ, builtin_scorer, fbs_halves  # noqa: E402

from screener.config import DEFAULT_DATA  # noqa: E402
from screener.corpus import load_corpus  # noqa: E402
from screener.errors import InputError  # noqa: E402
from screener.ocr import read_photo  # noqa: E402

MAX_LENGTH = 160  # longer ads would be several flyers


def edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def squeeze(text: str) -> str:
    return "".join(text.split())


def sample(per_source: int, seed: int = 0) -> pd.DataFrame:
    corpus = load_corpus(DEFAULT_DATA)
    test = corpus[(corpus["split"] == "test") & (corpus["text"].str.len() <= MAX_LENGTH)]
    fbs = fbs_halves()
    read = fbs[(fbs["half"] == READ) & (fbs["text"].astype(str).str.len() <= MAX_LENGTH)]

    def balanced(frame, source):
        positives = frame[frame["label"] == 1]
        take_pos = min(len(positives), per_source // 2)
        rows = pd.concat([positives.sample(take_pos, random_state=seed),
                          frame[frame["label"] == 0].sample(per_source - take_pos, random_state=seed)])
        return rows.assign(source=source)[["text", "label", "source"]]

    return pd.concat([balanced(test, "corpus test split"), balanced(read, "fbs_dev read half")], ignore_index=True)


@click.command()
@click.option("--per-source", default=150, show_default=True, help="Texts rendered from each source.")
def main(per_source):
    if not fonts_available():
        raise SystemExit("Debian's fonts-noto-cjk is needed: apt-get install fonts-noto-cjk")
    scorer = builtin_scorer()
    rows = sample(per_source)
    texts, read, errors, seconds = rows["text"].astype(str).tolist(), [], [], []
    for k, text in enumerate(texts):
        image = render_flyer(text, seed=k)
        started = time.perf_counter()
        try:
            photo = read_photo(image, f"flyer{k}.jpg")
            read.append(photo.text)
        except InputError:
            read.append("")
        seconds.append(time.perf_counter() - started)
        errors.append(edit_distance(squeeze(read[-1]), squeeze(text)) / max(len(squeeze(text)), 1))
    rows["ocr_text"], rows["cer"] = read, errors
    from_text = scorer.scores(texts)
    from_image = np.array([scorer.scores([t])[0] if t.strip() else 0.0 for t in read])
    print(f"model {scorer.version}, threshold {scorer.threshold:.3f}; {len(rows)} flyers, "
          f"{np.mean(seconds):.2f} s per image on one core (median {np.median(seconds):.2f})")
    print(f"{'source':<22}{'n':>5}{'CER':>8}{'AUC text':>10}{'AUC image':>11}{'recall text':>13}{'recall image':>14}")
    for source, part in [("all", rows)] + list(rows.groupby("source")):
        idx = part.index.to_numpy()
        labels = part["label"].to_numpy()
        positives = labels == 1
        flagged_text, flagged_image = from_text[idx] >= scorer.threshold, from_image[idx] >= scorer.threshold
        print(f"{source:<22}{len(part):>5}{part['cer'].mean():>8.3f}"
              f"{roc_auc_score(labels, from_text[idx]):>10.3f}{roc_auc_score(labels, from_image[idx]):>11.3f}"
              f"{flagged_text[positives].mean():>13.2f}{flagged_image[positives].mean():>14.2f}")


if __name__ == "__main__":
    main()
