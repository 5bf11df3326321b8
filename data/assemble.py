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
from screener.corpus import COLUMNS, assign_splits, duplicate_key, near_duplicate_pairs, text_id  # noqa: E402

HERE = Path(__file__).resolve().parent
MIN_LENGTH = 8  # shorter than the shortest real SMS blast: too little to label


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


def counts_markdown(df: pd.DataFrame) -> str:
    def table(frame: pd.DataFrame, key: str) -> str:
        counts = frame.groupby([key, "label"]).size().unstack(fill_value=0).reindex(columns=[1, 0], fill_value=0)
        lines = [f"| {key} | suspicious (1) | normal (0) |", "|---|---:|---:|"]
        lines += [f"| {k} | {r[1]} | {r[0]} |" for k, r in counts.sort_values([1, 0], ascending=False).iterrows()]
        return "\n".join(lines)

    lengths = df["text"].str.len()
    head = (f"{len(df)} texts: {int(df['label'].sum())} suspicious, {int((df['label'] == 0).sum())} normal; "
            f"{int((df['split'] == 'test').sum())} in the test split; {df['group'].nunique()} groups. "
            f"Lengths {lengths.min()}-{lengths.max()} characters, median {int(lengths.median())}.")
    return "\n\n".join([head, table(df, "category"), table(df, "channel"), table(df, "evasion")])


def write_counts(df: pd.DataFrame) -> None:
    readme = HERE / "README.md"
    text = readme.read_text(encoding="utf-8")
    start, end = "<!-- counts:start -->", "<!-- counts:end -->"
    before, _, rest = text.partition(start)
    _, _, after = rest.partition(end)
    readme.write_text(f"{before}{start}\n{counts_markdown(df)}\n{end}{after}", encoding="utf-8")


def main() -> None:
    df = load_parts()
    df["text"] = df["text"].astype(str).str.strip()
    short = df["text"].str.len() < MIN_LENGTH
    if short.any():
        print(f"dropping {int(short.sum())} text(s) shorter than {MIN_LENGTH} characters", file=sys.stderr)
    df = df[~short]
    df["label"] = df["label"].astype(int)
    df["key"] = df["text"].map(duplicate_key)
    before = len(df)
    df = df.drop_duplicates("key").reset_index(drop=True)
    df["group"] = merge_near_duplicate_groups(df)
    df["id"] = df["text"].map(text_id)
    df["split"] = assign_splits(df)
    df = df.sort_values(["label", "category", "id"], ascending=[False, True, True])
    df[list(COLUMNS)].to_csv(HERE / "ads.csv", index=False, encoding="utf-8")
    write_counts(df)
    print(f"{len(df)} texts ({before - len(df)} duplicates dropped), "
          f"{df['label'].sum()} suspicious, {(df['label'] == 0).sum()} normal, "
          f"test share {(df['split'] == 'test').mean():.3f}")


if __name__ == "__main__":
    main()
