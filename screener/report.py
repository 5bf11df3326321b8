"""How results read: the human verdict, one line per ad, and table cells."""
from __future__ import annotations

from features.redflags import Hit

from .scoring import Failure, Result, Term


def format_red_flags(flags: list[Hit], omitted: int = 0) -> str:
    parts = []
    for f in flags:
        rate = f"(年化{f.annual_rate:g}%)" if f.annual_rate is not None else ""
        parts.append(f"{f.name}:{f.evidence}{rate}")
    if omitted:
        parts.append(f"另有{omitted}处重复或同类")
    return "; ".join(parts)


def format_top_terms(terms: list[Term]) -> str:
    return "; ".join(f"{t.term}({t.weight:+.2f})" for t in terms)


def human(result: Result) -> str:
    """The verdict on one ad as an inspector reads it."""
    lines = [f"评分 {round(result.score * 100)}/100  风险等级: {result.level}  "
             f"({'可疑' if result.flagged else '未达可疑阈值'}; 阈值 {round(result.threshold * 100)})"]
    if result.red_flags:
        lines.append("红旗信号:")
        for flag in result.red_flags:
            rate = f" (折合年化 {flag.annual_rate:g}%)" if flag.annual_rate is not None else ""
            lines.append(f"  - {flag.name} [{flag.characteristic}] “{flag.evidence}”{rate}")
        if result.red_flags_omitted:
            lines.append(f"  （另有 {result.red_flags_omitted} 处重复或同类的信号未列出）")
    else:
        lines.append("红旗信号: 无")
    if result.flagged and result.scheme:
        lines.append(f"涉嫌类型: {result.scheme_name} ({result.scheme}, 置信度 {result.scheme_confidence:.2f})")
    if result.contacts:
        lines.append("联系方式: " + format_contacts(result.contacts))
    if result.disguised:
        lines.append("形近字伪装（罕用字冒充常用字）: " + "、".join(dict.fromkeys(result.disguised)))
    if result.warning_context:
        lines.append("防范提示语境: " + "、".join(dict.fromkeys(result.warning_context)))
    if result.top_terms:
        lines.append("影响最大的词: " + "  ".join(f"{t.term}({t.weight:+.2f})" for t in result.top_terms))
    for w in result.warnings:
        lines.append(f"注意: {w}")
    lines.append(f"模型: {result.model}")
    return "\n".join(lines)


def one_line(result: Result | Failure) -> str:
    """score, level and red-flag names, tab-separated (``error`` and the reason for a failure)."""
    if isinstance(result, Failure):
        return f"error\t{result.error}"
    flags = ",".join(dict.fromkeys(f.name for f in result.red_flags)) or "-"
    return f"{round(result.score * 100)}\t{result.level}\t{flags}"


RESULT_COLUMNS = ("score", "level", "flagged", "scheme", "scheme_name", "scheme_confidence", "red_flags", "contacts",
                  "top_terms", "campaign", "error")


def format_contacts(contacts) -> str:
    return "; ".join(c.label for c in contacts)


def result_cells(result: Result, structured: bool, campaign: str = "") -> tuple:
    """The result columns of a screened table row; structured keeps lists (JSONL), else text cells."""
    scheme = (result.scheme or "", result.scheme_name or "", "" if result.scheme_confidence is None
              else result.scheme_confidence)
    if structured:
        d = result.to_dict()
        return (result.score, result.level, result.flagged, *scheme, d["red_flags"], d["contacts"], d["top_terms"],
                campaign, "")
    flags = format_red_flags(result.red_flags, result.red_flags_omitted)
    return (result.score, result.level, result.flagged, *scheme, flags,
            format_contacts(result.contacts), format_top_terms(result.top_terms), campaign, "")


def error_cells(reason: str) -> tuple:
    return ("",) * (len(RESULT_COLUMNS) - 1) + (reason,)
