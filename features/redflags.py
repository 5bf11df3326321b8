"""Rule detectors for the signs the law names, each tied to one of its four characteristics.

Detectors read the cleaned text (see ``normalise.clean``) and report spans of the
original text, so an inspector sees the words as they were written. The model's
red-flag features are derived from the same hits (``flag_vector``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin

from .normalise import Cleaned, clean

ILLEGALITY = "非法性"
PUBLICITY = "公开性"
INDUCEMENT = "利诱性"
PUBLIC_AT_LARGE = "社会性"
CHARACTERISTICS = (ILLEGALITY, PUBLICITY, INDUCEMENT, PUBLIC_AT_LARGE)


@dataclass(frozen=True)
class Detector:
    key: str
    name: str
    characteristic: str
    pattern: re.Pattern


@dataclass
class Hit:
    """One red flag found in an ad."""

    key: str
    name: str
    characteristic: str
    evidence: str
    start: int
    end: int
    annual_rate: float | None = None

    def as_dict(self) -> dict:
        d = {"name": self.name, "characteristic": self.characteristic, "evidence": self.evidence,
             "start": self.start, "end": self.end}
        if self.annual_rate is not None:
            d["annual_rate"] = self.annual_rate
        return d


def _p(*alternatives: str) -> re.Pattern:
    return re.compile("|".join(alternatives))


# Rates: a return word, a few characters, then a number with % or 分/厘.
_RETURN_WORDS = r"业绩比较基准|年化|年收益|年回报|年息|年利率|年分红|收益率|回报率|收益|回报|分红|利息|利率|月息|月收益|月回报|月利|月返|日息|日收益|日回报|日利|日返|周收益|周返|每月|每天|每日|每年"
_RATE = re.compile(rf"(?P<word>{_RETURN_WORDS})[^0-9%。!?;,]{{0,6}}?(?P<num>\d+(?:\.\d+)?)\s*(?P<unit>%|分|厘)")
_PERIOD_FACTOR = {"月": 12.0, "日": 365.0, "天": 365.0, "周": 52.0}


def annual_rate(word: str, number: float, unit: str) -> float | None:
    """Annualised rate in percent of a stated return, or None when it is not a rate.

    Chinese convention: 1分 is 1% a month (10% a year, 0.1% a day), 1厘 a tenth of that.
    """
    period = next((p for p in _PERIOD_FACTOR if p in word), "年")
    factor = _PERIOD_FACTOR.get(period, 1.0)
    if unit == "%":
        per_period = number
    else:
        per_period = number * (1.0 if unit == "分" else 0.1)
        if period == "年":
            per_period *= 10.0
        elif period in ("日", "天"):
            per_period *= 0.1
    if number <= 0 or (unit != "%" and number >= 100):
        return None
    return round(per_period * factor, 2)


DETECTORS: tuple[Detector, ...] = (
    # 利诱性: promised repayment or returns
    Detector("guarantee", "保本稳赚承诺", INDUCEMENT, _p(
        r"(?<![不非])保本", r"(?<![不非])保息", r"稳赚", r"包赚", r"只赚不赔", r"稳赢", r"零风险", r"无风险",
        r"本金(无忧|安全|保障)", r"本息(保障|无忧|安全)", r"保底(收益|回报)?", r"保(证)?收益", r"刚性兑付", r"刚兑",
        r"绝对安全", r"稳稳(的)?(收益|赚)", r"不亏", r"旱涝保收")),
    Detector("buyback", "回购返租承诺", INDUCEMENT, _p(
        r"回购(?!物)", r"返租", r"包租", r"带租约", r"售后包租", r"年收租", r"租金回报", r"全额返还", r"到期返还",
        r"返还本金", r"本金返还", r"退还本金", r"返本", r"包回本", r"回本")),
    Detector("dividend", "分红返利", INDUCEMENT, _p(
        r"分红", r"返利", r"静态收益", r"动态收益", r"[日月周]返", r"躺赚", r"躺着(赚|收)", r"翻倍", r"翻番",
        r"消费全返", r"全返", r"一本万利", r"暴利", r"坐享", r"高(额)?(回报|收益|利息)", r"高息")),
    Detector("stock_tips", "荐股带单", INDUCEMENT, _p(
        r"牛股", r"涨停", r"操盘", r"荐股", r"带单", r"内幕", r"主力", r"庄家", r"金股", r"黑马股", r"翻倍股",
        r"抄底(?!价)", r"股友", r"老师(带|指导)", r"建仓", r"拉升")),
    Detector("advance_payment", "预交费用换权益", INDUCEMENT, _p(
        r"预存", r"预交", r"预售床位", r"床位认购", r"认购", r"入会费", r"入门费", r"激活费", r"会费",
        r"一次性(缴纳|交纳|付清|补缴|交清)", r"认筹金", r"份额")),
    # 社会性: open to anyone, growth by recruitment
    Detector("recruitment", "拉人头奖励", PUBLIC_AT_LARGE, _p(
        r"推荐奖", r"拉人头", r"发展下线", r"下线", r"直推", r"间推", r"团队奖", r"层级", r"代数奖",
        r"邀请.{0,6}(奖|返|佣)", r"推荐.{0,6}(奖|返|提成|佣)", r"拉新.{0,4}奖", r"介绍.{0,6}(返|奖|提成)",
        r"人脉变现", r"裂变", r"上线")),
    Detector("open_to_all", "人人可投", PUBLIC_AT_LARGE, _p(
        r"人人可(投|参与|加入|做)", r"不限(年龄|人群|地区|身份|户籍)", r"门槛低", r"低门槛", r"\d+元(起投|即可参与|入股)",
        r"[百千万]元(起投|入股)", r"全民(参与|投资|理财)", r"小额投资", r"起投")),
    Detector("elderly_target", "针对老年人", PUBLIC_AT_LARGE, _p(
        r"老年人", r"老人", r"叔叔阿姨", r"大爷大妈", r"大叔大妈", r"爷爷奶奶", r"退休", r"银发", r"长者",
        r"中老年", r"老年朋友", r"老同志", r"老伙伴", r"老哥老姐")),
    # 公开性: addressed to the public, pushed to act
    Detector("urgency", "限时限额催促", PUBLICITY, _p(
        r"名额有限", r"限额", r"限量", r"仅剩", r"只剩", r"最后\d*天", r"最后一天", r"先到先得", r"额满即止",
        r"人满即封", r"人满封群", r"满员即止", r"机不可失", r"错过(再等|就没)", r"速抢", r"限时")),
    Detector("private_contact", "私下联系渠道", PUBLICITY, _p(
        r"加微信", r"加v", r"微信[号:：]", r"(详询|咨询|联系|认准|添加)微信", r"微信[a-z][a-z0-9_-]{4,}", r"qq", r"进群", r"入群", r"拉群", r"建群", r"扫码", r"口令", r"暗号",
        r"私聊", r"私信", r"添加.{0,4}(老师|助理|客服|经理)")),
    Detector("seminar_lure", "讲座会销诱饵", PUBLICITY, _p(
        r"讲座", r"推介会", r"说明会", r"答谢会", r"沙龙", r"健康课", r"养生课", r"免费旅游", r"免费体检",
        r"送鸡蛋", r"领鸡蛋", r"免费(午餐|吃饭|参观|考察)", r"考察", r"参观基地", r"专家讲解")),
    # 非法性: claims that cannot be true of a lawful offer
    Detector("government_backing", "冒用政府背书", ILLEGALITY, _p(
        r"政府(支持|扶持|背景|批准|主导|补贴项目|兜底|担保|授权)", r"国家(支持|扶持|批准|政策支持|项目|重点|战略|兜底)",
        r"国字头", r"央企(背景|控股)", r"国资(背景|控股)", r"民政(部|局)?(批准|备案|认证|指定)",
        r"人社(局|部)?(指定|授权)", r"红头文件", r"官方(授权|认证|指定)", r"(银监会|证监会|银保监会)批准")),
    Detector("inside_channel", "内部渠道", ILLEGALITY, _p(
        r"内部(渠道|名额|指标|消息|关系|价|特批|人员)", r"特殊渠道", r"走关系", r"特批", r"托关系", r"绿色通道",
        r"包过", r"保过", r"百分百办成")),
    Detector("credit_evasion", "规避征信", ILLEGALITY, _p(
        r"不(看|查|上|问)征信", r"征信不好", r"黑户", r"白户", r"花户", r"无视(负债|征信|黑白)", r"不看负债",
        r"只(需|要)身份证", r"凭身份证", r"仅(凭|需)身份证", r"身份证即可", r"学生贷", r"学生可贷", r"裸条")),
    Detector("upfront_fee", "先交费后放款", ILLEGALITY, _p(
        r"(手续费|保证金|解冻费|工本费|服务费|押金|包装费|验资费).{0,10}(放款|下款|到账|提现|解冻)",
        r"(放款|下款|到账)前.{0,6}(交|付|缴)")),
    Detector("risky_product", "高风险投资品类", ILLEGALITY, _p(
        r"原始股", r"虚拟(币|货币)", r"区块链", r"数字藏品", r"元宇宙", r"矿机", r"配资", r"外汇", r"邮币卡",
        r"文交所", r"私募", r"股权(众筹|认购)", r"上市前", r"资金盘", r"互助盘", r"数字货币")),
)

# Not a red flag: the words of someone warning about or reporting on fraud.
WARNING_CONTEXT = Detector("warning_context", "防范提示语境", "", _p(
    r"警惕", r"谨防", r"提防", r"防范", r"切勿", r"不要(相信|轻信)", r"千万(不要|别)", r"骗局", r"诈骗",
    r"非法集资", r"报警", r"举报", r"96110", r"判处", r"判决", r"法院", r"检察院", r"公安", r"涉嫌", r"立案",
    r"被告", r"落网", r"不保本", r"投资有风险", r"理财非存款", r"存款保险", r"风险提示", r"谨慎"))

RATE_BUCKETS = ((4.5, "rate_deposit_like"), (8.0, "rate_fund_like"), (15.0, "rate_high"), (float("inf"), "rate_very_high"))
RATE_FLAG = ("promised_rate", "承诺收益率", INDUCEMENT)

FEATURE_NAMES = tuple([d.key for d in DETECTORS] + [b for _, b in RATE_BUCKETS] + [WARNING_CONTEXT.key])
FEATURE_LABELS = {d.key: d.name for d in DETECTORS} | {
    "rate_deposit_like": "承诺收益率(4.5%以下)", "rate_fund_like": "承诺收益率(4.5%-8%)",
    "rate_high": "承诺收益率(8%-15%)", "rate_very_high": "承诺收益率(15%以上)",
    WARNING_CONTEXT.key: WARNING_CONTEXT.name}


def _rate_hits(cleaned: Cleaned, original: str) -> list[Hit]:
    hits = []
    for m in _RATE.finditer(cleaned.text):
        rate = annual_rate(m.group("word"), float(m.group("num")), m.group("unit"))
        if rate is None:
            continue
        s, e = cleaned.original_span(*m.span())
        hits.append(Hit(RATE_FLAG[0], RATE_FLAG[1], RATE_FLAG[2], original[s:e], s, e, rate))
    return hits


def _detector_hits(detector: Detector, cleaned: Cleaned, original: str) -> list[Hit]:
    hits = []
    for m in detector.pattern.finditer(cleaned.text):
        s, e = cleaned.original_span(*m.span())
        hits.append(Hit(detector.key, detector.name, detector.characteristic, original[s:e], s, e))
    return hits


def find_red_flags(text: str, cleaned: Cleaned | None = None) -> list[Hit]:
    """Every red flag in an ad, in order of position; each detector runs once."""
    cleaned = cleaned or clean(text)
    hits = _rate_hits(cleaned, text)
    for detector in DETECTORS:
        hits.extend(_detector_hits(detector, cleaned, text))
    return sorted(hits, key=lambda h: (h.start, h.end))


def warning_context(text: str, cleaned: Cleaned | None = None) -> list[Hit]:
    """Spans that show the ad warns about or reports on fraud."""
    cleaned = cleaned or clean(text)
    return _detector_hits(WARNING_CONTEXT, cleaned, text)


_FEATURE_INDEX = {name: i for i, name in enumerate(FEATURE_NAMES)}


def flag_vector(red_flags: list[Hit], warnings: list[Hit]) -> np.ndarray:
    """Presence of each detector, the bucket of the highest promised rate, and the warning context.

    Derived from the hits the explanation shows, so the model and the inspector see the same evidence.
    """
    row = np.zeros(len(FEATURE_NAMES), dtype=np.float64)
    best = None
    for hit in red_flags:
        if hit.annual_rate is not None:
            best = hit.annual_rate if best is None else max(best, hit.annual_rate)
        else:
            row[_FEATURE_INDEX[hit.key]] = 1.0
    if best is not None:
        row[_FEATURE_INDEX[next(bucket for upper, bucket in RATE_BUCKETS if best <= upper)]] = 1.0
    if warnings:
        row[-1] = 1.0
    return row


class RedFlagFeatures(BaseEstimator, TransformerMixin):
    """Red-flag indicators as model features, read from analysed ads (``pipeline.Ad``)."""

    def __init__(self, scale: float = 1.0):
        self.scale = scale

    def fit(self, X, y=None):
        self.n_features_out_ = len(FEATURE_NAMES)
        return self

    def transform(self, X):
        rows = [flag_vector(ad.red_flags, ad.warnings) for ad in X]
        matrix = np.vstack(rows) if rows else np.zeros((0, len(FEATURE_NAMES)))
        return sp.csr_matrix(matrix * self.scale)

    def get_feature_names_out(self, input_features=None):
        return np.asarray(FEATURE_NAMES, dtype=object)
