"""The review queue: which of an office's unlabelled ads to ask inspectors about.

Inspectors label a few hundred ads, so each question must teach. The queue mixes the model's
likely leads (confirming or refuting its top ranking teaches most), ads it is unsure about
(scores near the threshold), and ads with red flags that it scores low (a kind the corpus may
lack). Near-identical ads count once: texts are grouped by MinHash LSH over their canonical
text, as campaigns are, and each question says how many rows of the stream it stands for.
Texts already labelled, in the corpus or in the cases, and variants of a case, are never asked.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
from datasketch import MinHashLSH

from ..campaigns import LSH_THRESHOLD, NUM_PERM, template_minhash
from ..errors import InputError
from ..report import format_red_flags
from ..scoring import Scorer
from .adapt import Stream, read_stream

DEFAULT_BUDGET = 100
DEFAULT_OUTPUT = "review_queue.xlsx"
STREAM_CAP = 50_000    # distinct texts considered; larger streams are sampled
# Shares of the budget. Chosen by `python bench/review.py --choose-mix` on the read half of fbs_dev.
MIX = {"lead": 0.6, "uncertain": 0.25, "new_kind": 0.15}
REASONS = {"lead": "可能的线索：模型打分高", "uncertain": "模型拿不准：得分接近阈值",
           "new_kind": "可能是新类型：有风险特征但模型打分低"}
QUEUE_COLUMNS = ["text", "label", "category", "source", "score", "level", "red_flags", "reason", "stands_for",
                 "variants"]


@dataclass
class Queue:
    table: pd.DataFrame     # the questions, in reading order, in the format `train.py add` reads
    stream: Stream
    groups: int             # distinct near-duplicate groups in the (sampled) stream, unlabelled
    excluded_groups: int    # groups left out because a case already labels a variant


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def group_near_duplicates(templates: list[str]) -> tuple[list[int], MinHashLSH]:
    """Group index per text (texts whose canonical forms are near-identical share a group), and the LSH index
    of the distinct canonical forms."""
    lsh = MinHashLSH(threshold=LSH_THRESHOLD, num_perm=NUM_PERM)
    group_of, first_of_template = [], {}
    for i, template in enumerate(templates):
        if template in first_of_template:
            group_of.append(group_of[first_of_template[template]])
            continue
        minhash = template_minhash(template)
        similar = [group_of[j] for j in lsh.query(minhash)]
        group_of.append(min(similar) if similar else i)
        first_of_template[template] = i
        lsh.insert(i, minhash)
    return group_of, lsh


def choose(scores: list[float], characteristics: list[int], threshold: float, budget: int,
           mix: dict | None = None) -> dict[int, str]:
    """Index -> reason for at most ``budget`` candidates: each reason's share of the budget, the rest by rank."""
    mix = mix or MIX
    n = len(scores)
    t = _logit(threshold)
    rankings = {
        "lead": sorted(range(n), key=lambda i: -scores[i]),
        "uncertain": sorted(range(n), key=lambda i: abs(_logit(scores[i]) - t)),
        "new_kind": sorted((i for i in range(n) if characteristics[i] and scores[i] < threshold),
                           key=lambda i: (-characteristics[i], -scores[i])),
    }
    budget = min(budget, n)
    quotas = {reason: int(round(share * budget)) for reason, share in mix.items()}
    chosen: dict[int, str] = {}
    for reason in mix:
        taken = 0
        for i in rankings[reason]:
            if taken >= quotas[reason] or len(chosen) >= budget:
                break
            if i not in chosen:
                chosen[i] = reason
                taken += 1
    for reason in ("lead", "uncertain"):  # a reason short of candidates leaves its share to the others
        for i in rankings[reason]:
            if len(chosen) >= budget:
                break
            chosen.setdefault(i, reason)
    return chosen


def build_queue(scorer: Scorer, path: str, *, text_column: str | None = None, encoding: str | None = None,
                known_keys=(), case_texts=(), budget: int = DEFAULT_BUDGET, mix: dict | None = None,
                progress=None) -> Queue:
    """Read an unlabelled stream and choose ``budget`` ads to ask about."""
    if budget < 1:
        raise InputError(f"--budget 须至少为 1（现为 {budget}）")
    stream = read_stream(path, text_column, encoding, known_keys, progress, cap=STREAM_CAP, purpose="review")
    if stream.rows_usable == 0:
        raise InputError(f"{stream.file} 没有可用的文本（读入 {stream.rows_read} 行，全部为空或无法读取）；"
                         "请检查 --text-column 和文件内容")
    if not stream.texts:
        raise InputError(f"{stream.file} 的 {stream.rows_usable} 行文本都已标注过（在语料或案例中）；没有需要复核的广告")
    if stream.rows_usable - stream.rows_known < 2 or len(stream.texts) < 2:
        raise InputError(f"{stream.file} 只有 {len(stream.texts)} 条未标注的不重复文本；复核队列需要一批广告"
                         "（至少 2 条），单条广告请用 `python predict.py \"广告\"` 评分")
    results = scorer.analyse(stream.texts, top_terms=0, all_templates=True)
    group_of, lsh = group_near_duplicates([r.template for r in results])
    excluded = _groups_of_cases(scorer, case_texts, lsh, group_of)
    members: dict[int, list[int]] = {}
    for i, g in enumerate(group_of):
        if g not in excluded:
            members.setdefault(g, []).append(i)
    if not members:
        raise InputError(f"{stream.file} 中未标注的文本都是已有案例的变体；没有需要复核的广告")
    # Each group is asked about through its highest-scoring text.
    groups = list(members.values())
    heads = [max(m, key=lambda i: results[i].score) for m in groups]
    reasons = choose([results[i].score for i in heads],
                     [len({f.characteristic for f in results[i].red_flags}) for i in heads], scorer.threshold,
                     budget, mix)
    rows = []
    for k, reason in reasons.items():
        head, group = heads[k], groups[k]
        r = results[head]
        rows.append({"text": stream.texts[head], "label": "", "category": "", "source": stream.file,
                     "score": r.score, "level": r.level,
                     "red_flags": format_red_flags(r.red_flags, r.red_flags_omitted),
                     "reason": REASONS[reason], "stands_for": sum(stream.rows_of(stream.texts[i]) for i in group),
                     "variants": len(group), "_order": list(MIX).index(reason) if reason in MIX else len(MIX)})
    table = pd.DataFrame(rows).sort_values(["_order", "score"], ascending=[True, False], kind="stable")
    table = table.drop(columns="_order").reset_index(drop=True)[QUEUE_COLUMNS]
    return Queue(table, stream, len(members) + len(excluded), len(excluded))


def _groups_of_cases(scorer: Scorer, case_texts, lsh: MinHashLSH, group_of: list[int]) -> set[int]:
    """Groups of the stream that hold a variant of a labelled case: those are answered already."""
    case_texts = [t for t in case_texts if isinstance(t, str) and t.strip()]
    excluded = set()
    for case in scorer.analyse(case_texts, top_terms=0, all_templates=True) if case_texts else []:
        excluded.update(group_of[j] for j in lsh.query(template_minhash(case.template)))
    return excluded
