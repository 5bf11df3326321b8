"""New labelled cases from inspectors: validate everything, then store them beside the corpus."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..corpus import duplicate_key, parse_label, text_id
from ..errors import DataError
from ..files import now_iso
from ..tables import read_table, resolve_text_column

CASE_COLUMNS = ("id", "text", "label", "category", "split", "added_at", "who", "when", "source")
KEPT_COLUMNS = ("who", "when", "source")
TEST_EVERY = 5  # one new case in five goes to the test side, chosen by a hash of its text
MAX_LISTED = 15


def case_split(text: str) -> str:
    digest = hashlib.sha1(("case:" + duplicate_key(text)).encode("utf-8")).hexdigest()
    return "test" if int(digest, 16) % TEST_EVERY == 0 else "train"


def load_cases(path: Path) -> pd.DataFrame:
    if not Path(path).is_file():
        return pd.DataFrame(columns=list(CASE_COLUMNS))
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    df["label"] = df["label"].astype(int)
    return df


@dataclass
class AddPlan:
    accepted: pd.DataFrame
    duplicates: int = 0
    overridden: set = field(default_factory=set)  # keys whose old label the new cases replace


def plan_add(path: str, corpus: pd.DataFrame, cases: pd.DataFrame, prefer_new: bool = False,
             encoding: str | None = None) -> AddPlan:
    """Check every new case; raise DataError listing each bad row, or return what to add."""
    raw = read_table(path, encoding)
    if raw.empty:
        raise DataError(f"{path} has no rows")
    text_col = resolve_text_column(raw, "text" if "text" in raw.columns else None, path)
    if "label" not in raw.columns:
        raise DataError(f"{path} has no 'label' column; its columns are: {', '.join(map(str, raw.columns))}")
    existing = {}
    for frame in (corpus, cases):
        for text, label in zip(frame["text"], frame["label"]):
            existing[duplicate_key(text)] = int(label)
    problems, rows, seen, duplicates, overridden = [], [], {}, 0, set()
    for i, record in enumerate(raw.to_dict(orient="records")):
        row_no = i + 2  # the header is row 1
        text = record.get(text_col)
        label = parse_label(record.get("label"))
        if not isinstance(text, str) or not text.strip():
            problems.append(f"row {row_no}: empty text")
            continue
        if label is None:
            problems.append(f"row {row_no}: unknown label {record.get('label')!r} (use 1/0, 是/否, 可疑/正常, "
                            "risk/normal or suspicious/normal)")
            continue
        key = duplicate_key(text)
        if key in seen:
            if seen[key] != label:
                problems.append(f"row {row_no}: the same text appears above with the opposite label")
            else:
                duplicates += 1
            continue
        seen[key] = label
        if key in existing:
            if existing[key] == label:
                duplicates += 1
                continue
            if not prefer_new:
                problems.append(f"row {row_no}: text already labelled {existing[key]} in the corpus or cases, "
                                f"here {label} (use --prefer-new to take the new label)")
                continue
            overridden.add(key)
        rows.append({"text": text.strip(), "label": label, "category": str(record.get("category") or ""),
                     **{c: str(record.get(c) or "") for c in KEPT_COLUMNS}})
    if problems:
        listed = "\n  ".join(problems[:MAX_LISTED])
        more = f"\n  ... and {len(problems) - MAX_LISTED} more" if len(problems) > MAX_LISTED else ""
        raise DataError(f"{path}: {len(problems)} row(s) cannot be added; nothing was changed:\n  {listed}{more}")
    accepted = pd.DataFrame(rows, columns=["text", "label", "category", *KEPT_COLUMNS])
    if len(accepted):
        accepted.insert(0, "id", accepted["text"].map(text_id).str.replace("ad-", "case-", regex=False))
        accepted["split"] = accepted["text"].map(case_split)
        accepted["added_at"] = now_iso()
    return AddPlan(accepted.reindex(columns=list(CASE_COLUMNS)), duplicates, overridden)
