"""The built-in model on each kind of error that real streams showed, measured on the corpus test split.

1 money talk is not an invitation    flagged share of chat, finance posts and news (normal)
2 who promises the return            recall on non-bank yield and P2P offers; flagged share of licensed products
3 illegal lending                    recall on loan fraud; flagged share of ordinary loans and cards
4 leaseback in few words             recall on property leaseback; flagged share of ordinary property ads
5 masked digits                      recall and flagged share on texts written with masked digits
6 disguised characters               recall and flagged share on look-alike and homophone texts
7 false alarms in ad streams         flagged share of ordinary commercial ads; of sms_normal.csv
8 red flags that mislead             flags raised on phrases that are not what the flag says

Run: python bench/kinds.py [--models-dir DIR]
"""
from __future__ import annotations

import sys
from pathlib import Path

import click
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from real_data import builtin_scorer, sms_normal  # noqa: E402

from features.redflags import find_red_flags  # noqa: E402
from screener.config import DEFAULT_DATA  # noqa: E402
from screener.corpus import ORDINARY_CATEGORIES  # noqa: E402

# Phrases whose words look like a red flag but are not one, with the flag a careless rule would raise.
MISLEADING = (
    ("会员日积分翻倍，满额再抽奖", "分红返利"),
    ("三年期定期存款年利率1.75%，受存款保险保障", "承诺收益率"),
    ("本护理院已在民政局备案，按月收费", "冒用政府背书"),
    ("邀请好友注册再得10%优惠券", "承诺收益率"),
    ("平台担保本息的说法不可信", "保本稳赚承诺"),
    ("个人消费贷款年化利率3.6%起，以审批为准", "承诺收益率"),
    ("两口子一起来办卡更优惠", "规避征信"),
    ("本行信用卡提额服务，请登录手机银行申请", "信用卡套现代还"),
)


def kind_rows(scores: np.ndarray, test: pd.DataFrame, threshold: float, sms_flagged: float) -> list[tuple]:
    flagged = scores >= threshold
    label = test["label"].to_numpy()
    category, evasion = test["category"], test["evasion"]

    def recall(mask):
        mask = mask.to_numpy() & (label == 1)
        return f"recall {flagged[mask].mean():.2f} (n={mask.sum()})"

    def share(mask):
        mask = mask.to_numpy() & (label == 0)
        return f"flagged {flagged[mask].mean():.1%} (n={mask.sum()})"

    misleading = sum(any(h.name == name for h in find_red_flags(text)) for text, name in MISLEADING)
    return [
        ("1 money talk", share(category.isin(["chat_money", "finance_post", "news"])), ""),
        ("2 issuer", recall(category.isin(["high_yield", "private_fund"])), share(category.eq("bank_insurance"))),
        ("3 lending", recall(category.eq("loan_fraud")), share(category.isin(["loan_licensed", "bank_card"]))),
        ("4 leaseback", recall(category.eq("property_leaseback")), share(category.eq("real_estate"))),
        ("5 masked digits", recall(evasion.eq("masked")), share(evasion.eq("masked"))),
        ("6 disguised chars", recall(evasion.isin(["lookalike", "homophone"])),
         share(evasion.isin(["lookalike", "homophone"]))),
        ("7 ad streams", share(category.isin(ORDINARY_CATEGORIES)), f"sms_normal flagged {sms_flagged:.2%}"),
        ("8 misleading flags", f"{misleading} of {len(MISLEADING)} phrases flagged wrongly", ""),
    ]


@click.command()
@click.option("--models-dir", type=click.Path(file_okay=False), default=None)
def main(models_dir):
    scorer = builtin_scorer(models_dir)
    ads = pd.read_csv(DEFAULT_DATA, keep_default_na=False)
    test = ads[ads["split"] == "test"].reset_index(drop=True)
    sms = float(np.mean(scorer.scores(sms_normal()["text"].astype(str)) >= scorer.threshold))
    print(f"model {scorer.version}, threshold {scorer.threshold:.3f}, corpus test split n={len(test)}")
    for name, a, b in kind_rows(scorer.scores(test["text"]), test, scorer.threshold, sms):
        print(f"{name:<20}{a:<32}{b}")


if __name__ == "__main__":
    main()
