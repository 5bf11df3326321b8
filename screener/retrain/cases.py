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
        raise DataError(f"{path} 没有数据行")
    text_col = resolve_text_column(raw, "text" if "text" in raw.columns else None, path)
    if "label" not in raw.columns:
        raise DataError(f"{path} 没有 'label' 列；现有的列：{', '.join(map(str, raw.columns))}")
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
            problems.append(f"第 {row_no} 行：文本为空")
            continue
        if label is None:
            problems.append(f"第 {row_no} 行：无法识别的标签 {record.get('label')!r}（请用 1/0、是/否、可疑/正常、"
                            "risk/normal 或 suspicious/normal）")
            continue
        key = duplicate_key(text)
        if key in seen:
            if seen[key] != label:
                problems.append(f"第 {row_no} 行：同一文本在上面出现过，标签相反")
            else:
                duplicates += 1
            continue
        seen[key] = label
        if key in existing:
            if existing[key] == label:
                duplicates += 1
                continue
            if not prefer_new:
                problems.append(f"第 {row_no} 行：该文本在语料或案例中已标为 {existing[key]}，"
                                f"这里是 {label}（用 --prefer-new 采用新标签）")
                continue
            overridden.add(key)
        rows.append({"text": text.strip(), "label": label, "category": str(record.get("category") or ""),
                     **{c: str(record.get(c) or "") for c in KEPT_COLUMNS}})
    if problems:
        listed = "\n  ".join(problems[:MAX_LISTED])
        more = f"\n  …… 另有 {len(problems) - MAX_LISTED} 行" if len(problems) > MAX_LISTED else ""
        raise DataError(f"{path}：有 {len(problems)} 行无法添加，未做任何改动：\n  {listed}{more}")
    accepted = pd.DataFrame(rows, columns=["text", "label", "category", *KEPT_COLUMNS])
    if len(accepted):
        accepted.insert(0, "id", accepted["text"].map(text_id).str.replace("ad-", "case-", regex=False))
        accepted["split"] = accepted["text"].map(case_split)
        accepted["added_at"] = now_iso()
    return AddPlan(accepted.reindex(columns=list(CASE_COLUMNS)), duplicates, overridden)
