"""The risk ledger (风险台账): one row per campaign, most severe first, and a summary sheet with a chart.

What the campaign plans ask of a ledger (../shared/GUIDE.md section 7): each lead with its
scheme, level, evidence, contacts and reach, a graded handling suggestion and an empty
column for what was done; totals by scheme, level and area.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path

from features.redflags import ILLEGALITY, INDUCEMENT

from .campaigns import Campaign, CampaignGrouper
from .corpus import SCHEME_NAMES
from .files import atomic_file
from .scoring import HIGH, LOW, MEDIUM
from .tables import safe_cell

LEDGER_SHEET, SUMMARY_SHEET = "风险台账", "汇总"
COLUMNS = ("线索编号", "风险等级", "最高评分", "涉嫌类型", "红旗信号", "联系方式", "出现次数", "行号", "样本文本",
           "处置建议", "处置情况")
OPTIONAL_COLUMNS = ("首次出现", "末次出现", "来源", "地区")
WIDTHS = {"线索编号": 10, "风险等级": 8, "最高评分": 8, "涉嫌类型": 18, "红旗信号": 36, "联系方式": 30, "出现次数": 8,
          "行号": 20, "样本文本": 60, "处置建议": 26, "处置情况": 24, "首次出现": 12, "末次出现": 12, "来源": 14,
          "地区": 10}
LEVEL_FILLS = {HIGH: "F4B6B6", MEDIUM: "FCE4B6", LOW: "FFFFFF"}
POLICE_REACH = 10  # a high-risk campaign seen this often reaches many people: evidence to the police
# Schemes for which another authority is in charge (移交主管部门).
AUTHORITIES = {
    "loan_fraud": "地方金融管理部门", "stock_tips": "证券监管部门", "forex_futures": "证券期货监管部门",
    "private_fund": "地方金融管理部门", "original_shares": "证券监管部门", "pension_insurance": "人社部门",
    "property_leaseback": "住建部门", "elder_service": "民政部门", "elder_project": "民政部门",
    "elder_product": "市场监管部门", "consumption_rebate": "市场监管部门", "crypto": "地方金融管理部门",
}
MAX_CELL = 32_000  # Excel holds 32,767 characters in a cell


def handling(c: Campaign) -> str:
    """Graded handling (分级分类处置) from level, evidence and reach."""
    if c.level == HIGH and (c.count >= POLICE_REACH or {ILLEGALITY, INDUCEMENT} <= c.characteristics):
        return "移送公安（固定证据，涉嫌犯罪）"
    if c.level == HIGH and c.scheme in AUTHORITIES:
        return f"移交主管部门（{AUTHORITIES[c.scheme]}）"
    if c.level == HIGH:
        return "约谈整改（责令停止、清退资金）"
    return "风险提示（加密排查）"


def _capped(text: str) -> str:
    return text if len(text) <= MAX_CELL else text[:MAX_CELL] + "…（已截断）"


def ledger_rows(grouper: CampaignGrouper, optional: tuple[str, ...] = ()) -> list[list]:
    rows = []
    for n, c in enumerate(grouper.ordered(), 1):
        row = [f"L{n:04d}", c.level, round(c.max_score * 100), SCHEME_NAMES.get(c.scheme, c.scheme),
               "、".join(f"{name}×{k}" for name, k in c.red_flags.most_common()), "；".join(c.contacts),
               c.count, _capped(",".join(map(str, c.rows))), c.sample, handling(c), ""]
        extra = {"首次出现": min(c.dates) if c.dates else "", "末次出现": max(c.dates) if c.dates else "",
                 "来源": "、".join(s for s, _ in c.sources.most_common(5)),
                 "地区": "、".join(r for r, _ in c.regions.most_common(5))}
        rows.append(row + [extra[k] for k in optional])
    return rows


def write_ledger(path: str | Path, grouper: CampaignGrouper, optional: tuple[str, ...] = ()) -> int:
    """Write the workbook atomically; returns the number of leads."""
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, Reference
    from openpyxl.styles import Alignment, Font, PatternFill

    book = Workbook()
    sheet = book.active
    sheet.title = LEDGER_SHEET
    header = list(COLUMNS) + list(optional)
    sheet.append(header)
    rows = ledger_rows(grouper, optional)
    for row in rows:
        sheet.append([safe_cell(v) for v in row])
    bold = Font(bold=True)
    for cell in sheet[1]:
        cell.font = bold
        cell.fill = PatternFill("solid", fgColor="D9E1F2")
    for i, name in enumerate(header, 1):
        sheet.column_dimensions[sheet.cell(1, i).column_letter].width = WIDTHS.get(name, 12)
    wrap = Alignment(wrap_text=True, vertical="top")
    for r, row in enumerate(rows, 2):
        fill = PatternFill("solid", fgColor=LEVEL_FILLS.get(row[1], "FFFFFF"))
        sheet.cell(r, 2).fill = fill
        for col in (5, 6, 8, 9, 10):
            sheet.cell(r, col).alignment = wrap
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    sheet.print_title_rows = "1:1"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1

    summary = book.create_sheet(SUMMARY_SHEET)
    campaigns = list(grouper.campaigns.values())
    by_scheme = Counter()
    leads_by_scheme = Counter()
    for c in campaigns:
        by_scheme[c.scheme] += c.count
        leads_by_scheme[c.scheme] += 1
    summary.append(["涉嫌类型", "线索数", "出现次数"])
    for scheme, count in by_scheme.most_common():
        summary.append([SCHEME_NAMES.get(scheme, scheme), leads_by_scheme[scheme], count])
    end_scheme = summary.max_row
    summary.append([])
    summary.append(["风险等级", "线索数", "出现次数"])
    for level in (HIGH, MEDIUM, LOW):
        matching = [c for c in campaigns if c.level == level]
        if matching:
            summary.append([level, len(matching), sum(c.count for c in matching)])
    regions = Counter()
    for c in campaigns:
        regions.update(c.regions)
    if regions:
        summary.append([])
        summary.append(["地区", "出现次数"])
        for region, count in regions.most_common():
            summary.append([safe_cell(region), count])
    for cell in summary["A"]:
        if cell.value in ("涉嫌类型", "风险等级", "地区"):
            for c in summary[cell.row]:
                c.font = bold
    summary.column_dimensions["A"].width = 30
    summary.column_dimensions["B"].width = 10
    summary.column_dimensions["C"].width = 10
    if end_scheme > 1:
        chart = BarChart()
        chart.type = "bar"
        chart.title = "各类型出现次数"
        chart.y_axis.title = "出现次数"
        chart.add_data(Reference(summary, min_col=3, min_row=1, max_row=end_scheme), titles_from_data=True)
        chart.set_categories(Reference(summary, min_col=1, min_row=2, max_row=end_scheme))
        chart.height, chart.width = 9, 18
        summary.add_chart(chart, "E2")
    with atomic_file(path, "wb") as (f, _):
        book.save(f)
    return len(rows)
