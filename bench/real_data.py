"""The real messages in ../shared/data/real, for measuring only, and the one split of fbs_dev.csv.

fbs_dev.csv is split once, by near-duplicate groups and stratified by label, into a
half that may be read (to learn how real streams are written) and a half that is only
measured. The split is a pure function of the file, so every script and test sees the
same halves. Figures on the read half overstate; report the measured half.
"""
from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT.parent / "shared" / "data" / "real"
sys.path.insert(0, str(ROOT))

from screener.corpus import duplicate_key, near_duplicate_pairs  # noqa: E402

SALT = "fbs-halves-v1"
READ, MEASURED = "read", "measured"


def _groups(texts: list[str]) -> list[int]:
    parent = list(range(len(texts)))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j, _ in near_duplicate_pairs(texts):
        a, b = find(i), find(j)
        if a != b:
            parent[max(a, b)] = min(a, b)
    return [find(i) for i in range(len(texts))]


def fbs_halves(path: Path = REAL / "fbs_dev.csv") -> pd.DataFrame:
    """fbs_dev.csv with a ``half`` column: 'read' or 'measured'."""
    df = pd.read_csv(path)
    df["group"] = _groups(df["text"].astype(str).tolist())
    group_label = df.groupby("group")["label"].max()
    group_key = df.groupby("group")["text"].agg(lambda t: min(duplicate_key(x) for x in t))
    half = {}
    for label in (1, 0):
        members = sorted(group_label.index[group_label == label],
                         key=lambda g: hashlib.sha1(f"{SALT}:{group_key[g]}".encode()).hexdigest())
        taken = {READ: 0, MEASURED: 0}
        for g in members:  # the smaller half (in messages) takes the next group
            side = READ if taken[READ] <= taken[MEASURED] else MEASURED
            half[g] = side
            taken[side] += int((df["group"] == g).sum())
    df["half"] = df["group"].map(half)
    return df


def sms_normal(path: Path = REAL / "sms_normal.csv") -> pd.DataFrame:
    return pd.read_csv(path)


def builtin_scorer(models_dir=None):
    """The current model of a models folder (the built-in one, built if missing), for the bench scripts."""
    from screener.config import DEFAULT_DATA, default_models_dir
    from screener.scoring import load_scorer
    from screener.builtin import ensure_builtin_model

    models_dir = models_dir or default_models_dir()
    ensure_builtin_model(models_dir, DEFAULT_DATA, notify=lambda m: print(m, file=sys.stderr))
    return load_scorer(models_dir)


if __name__ == "__main__":
    halves = fbs_halves()
    print(halves.groupby(["half", "label"]).size().unstack())
