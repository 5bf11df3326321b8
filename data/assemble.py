"""Assemble data/ads.csv from the writers' files in data/parts/.

Each part is JSON Lines with text, label, category, channel, evasion and group.
Near-duplicates (character 4-gram Jaccard above 0.7) are merged into one group so
that variants never straddle the train/test split. Run: python data/assemble.py
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from features.corpus import COLUMNS, assign_splits, duplicate_key, near_duplicate_pairs, text_id  # noqa: E402

HERE = Path(__file__).resolve().parent


def load_parts() -> pd.DataFrame:
    rows = []
    for path in sorted((HERE / "parts").glob("*.jsonl")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as e:
                    print(f"skipping {path.name}:{n}: {e}", file=sys.stderr)
    return pd.DataFrame(rows)


def merge_near_duplicate_groups(df: pd.DataFrame) -> pd.Series:
    parent = {g: g for g in df["group"]}

    def find(g):
        while parent[g] != g:
            parent[g] = parent[parent[g]]
            g = parent[g]
        return g

    groups = df["group"].tolist()
    for i, j, _ in near_duplicate_pairs(df["text"].tolist()):
        a, b = find(groups[i]), find(groups[j])
        if a != b:
            parent[max(a, b)] = min(a, b)
    return df["group"].map(find)


def main() -> None:
    df = load_parts()
    df["text"] = df["text"].astype(str).str.strip()
    df = df[df["text"] != ""]
    df["label"] = df["label"].astype(int)
    df["key"] = df["text"].map(duplicate_key)
    before = len(df)
    df = df.drop_duplicates("key").reset_index(drop=True)
    df["group"] = merge_near_duplicate_groups(df)
    df["id"] = df["text"].map(text_id)
    df["split"] = assign_splits(df)
    df = df.sort_values(["label", "category", "id"], ascending=[False, True, True])
    df[list(COLUMNS)].to_csv(HERE / "ads.csv", index=False, encoding="utf-8")
    print(f"{len(df)} texts ({before - len(df)} duplicates dropped), "
          f"{df['label'].sum()} suspicious, {(df['label'] == 0).sum()} normal, "
          f"test share {(df['split'] == 'test').mean():.3f}")


if __name__ == "__main__":
    main()
