"""Rule detectors for the signs the law names, each tied to one of its four characteristics.

Detectors read the cleaned text (see ``normalise.clean``) and report spans of the
original text, so an inspector sees the words as they were written. The model's
red-flag features are derived from the same hits (``flag_vector``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .anchors import AnchorGate
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


# QQ as a word, not letters inside a link or code (t.cn/kcnjqq); the look-behind follows the first q so the
# pattern keeps its fast scan for the first character.
_QQ = r"q(?<![a-z]q)q(?![a-z])"


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
        r"(?<![不非担确])保本", r"(?<![不非担])保息", r"稳赚", r"包赚", r"只赚不赔", r"稳赢", r"零风险", r"无风险",
        r"本金(无忧|安全|保障)", r"本息(保障|无忧|安全)", r"保底(收益|回报)?", r"保(证)?收益", r"刚性兑付", r"刚兑",
        r"绝对安全", r"稳稳(的)?(收益|赚)", r"不亏", r"旱涝保收")),
    Detector("buyback", "回购返租承诺", INDUCEMENT, _p(
        r"回购(?!物)", r"返租", r"包租", r"带租约", r"售后包租", r"年收租", r"租金回报", r"全额返还", r"到期返还",
        r"返还本金", r"本金返还", r"退还本金", r"返本", r"包回本", r"回本", r"包租包管", r"返.{0,2}年租金",
        r"稳收租金", r"统一经营.{0,6}(租金|收益|回报)", r"\d+年租约",
        # rent promised in other words: 买铺当房东, 物业代租代收, 租不出去也照付, 按房款7%付租金, 送5年租金
        r"(买|置)[^，。]{0,6}(当|做)房东", r"代租代收", r"租不出去[^，。]{0,4}(也|照)", r"按房款[^，。]{0,8}(租金|付)",
        r"送\d*[一二三四五六七八九十]?年租金", r"租金[^，。]{0,6}(直接打卡|按时到账|准时到账|每月到账)", r"一铺养三代",
        r"租金(覆盖|抵)[^，。]{0,2}月供", r"(每年|每月)[^，。]{0,6}兑付")),
    Detector("dividend", "分红返利", INDUCEMENT, _p(
        r"分红", r"返利", r"静态收益", r"动态收益", r"[日月周]返", r"躺赚", r"躺着(赚|收)", r"(?<!积分)(?<!积分再)翻倍",
        r"(?<!积分)翻番", r"一本万利", r"暴利", r"坐享", r"高(额)?(回报|收益|利息)", r"高息")),
    Detector("stock_tips", "荐股带单", INDUCEMENT, _p(
        r"牛股", r"涨停", r"操盘", r"荐股", r"带单", r"内幕", r"主力", r"庄家", r"金股", r"黑马股", r"翻倍股",
        r"抄底(?!价)", r"股友", r"老师(带|指导)", r"建仓", r"拉升")),
    Detector("advance_payment", "预交费用换权益", INDUCEMENT, _p(
        r"预存", r"预交", r"预售床位", r"床位认购", r"认购", r"入会费", r"入门费", r"激活费", r"会费",
        r"一次性(缴纳|交纳|付清|补缴|交清)", r"认筹金", r"份额")),
    # The schemes' own signs, one detector (at least) per scheme of the guide.
    Detector("elder_membership", "养老会员卡返利", INDUCEMENT, _p(
        r"(养老|康养|颐养|护理|老年)[^，。,；]{0,8}(会员卡|储值卡|贵宾卡|vip卡|养老卡).{0,12}(返|息|分红|收益|回报)",
        r"养老卡", r"床位[^，。,；]{0,6}(返|利息|收益|回报|升值)", r"(预订|预定|预存)床位")),
    Detector("elder_project", "投资养老项目", INDUCEMENT, _p(
        r"(投资|入股|认购|众筹|参股)[^，。,；]{0,8}(养老院|康养|养老基地|养老公寓|养生基地|颐养|养老社区|养老项目)",
        r"(养老院|康养基地|养老公寓|养老项目|养老社区)[^，。,；]{0,8}(入股|认购|投资份额|分红|回报)")),
    Detector("elder_product", "保健品返本回购", INDUCEMENT, _p(
        r"(保健品|理疗仪|营养品|药酒|磁疗|净水器)[^，。]{0,12}(回购|返本|返还|分红|返现|升值|收益)",
        r"以(商品|产品)(营销|销售)?返本", r"买(产品|商品)送(股权|分红)")),
    Detector("house_pension", "以房养老", INDUCEMENT, _p(
        r"以房养老", r"(抵押|质押)(房产|房子|房本)[^，。]{0,10}(理财|投资|养老|收益|月月)",
        r"房(产|子|本)[^，。]{0,6}(抵押|质押)[^，。]{0,10}(理财|投资|收益|月领|每月)")),
    Detector("pension_agency", "代办养老保险", ILLEGALITY, _p(
        r"(代办|代缴|包办)[^，。]{0,6}(社保|养老保险|退休|养老金)", r"补缴社保", r"(一次性)?补缴养老(保险|金)",
        r"提前(退休|领取养老金|领养老金)", r"养老金(多领|翻倍|上调名额)")),
    Detector("elder_aid", "养老互助帮扶", PUBLIC_AT_LARGE, _p(
        r"互助金", r"帮扶(会员|金|基金)", r"养老互助", r"互助(会|社|养老)", r"抱团养老", r"入会[^，。]{0,6}(返|领|补贴)")),
    Detector("fixed_yield", "非银行固定收益", INDUCEMENT, _p(
        r"(理财|财富|资产管理|投资|金融服务)(公司|平台|机构)[^。]{0,20}(年化|月息|收益|付息|回报)",
        r"新手标", r"体验标", r"到期还本付息", r"月月付息", r"按月付息", r"(天|个月)(期|标)[^。]{0,8}(年化|收益)",
        r"比银行(利息)?高", r"随存随取[^。]{0,10}(收益|利息|年化)")),
    Detector("private_fund", "私募网贷平台", ILLEGALITY, _p(
        r"私募", r"p2p", r"网贷平台", r"理财平台", r"资金(由)?第三方托管", r"资金池", r"债权转让",
        # a sign-up gift that leads into lending the platform money: 实名注册送红包, 首次投资再赠加息
        r"(注册|实名)[^。]{0,30}(投资|出借)[^。]{0,20}(赠|送|红包|加息|奖励)")),
    Detector("original_shares", "原始股权", ILLEGALITY, _p(
        r"原始股", r"股权(众筹|认购|投资|激励)", r"上市前", r"内部股", r"挂牌(上市)?[^，。]{0,6}(翻|升值)")),
    Detector("crypto", "虚拟货币区块链", ILLEGALITY, _p(
        r"虚拟(币|货币)", r"区块链", r"数字(藏品|货币|资产|币)", r"元宇宙", r"矿机", r"挖矿", r"代币", r"usdt",
        r"币圈", r"资金盘", r"互助盘")),
    Detector("consumption_rebate", "消费全返", INDUCEMENT, _p(
        r"消费(全返|返本|返还|即投资|等于投资|养老)", r"全返", r"购物返(本|全款)", r"全额返还", r"消费[^，。]{0,6}返[^，。]{0,4}(倍|100%|全额)")),
    Detector("coop_deposit", "合作社吸储", ILLEGALITY, _p(
        r"合作社[^。]{0,12}(存款|吸储|存钱|入股|分红|利息|股金)", r"资金互助", r"互助社", r"股金", r"吸储", r"揽储")),
    Detector("art_shares", "艺术品份额", ILLEGALITY, _p(
        r"艺术品(份额|交易|投资|升值)", r"邮币卡", r"文交所", r"份额化", r"藏品[^，。]{0,6}(上市|交易|投资|升值)",
        r"字画[^，。]{0,6}(升值|投资|回购)")),
    Detector("crowdfunding", "众筹回报", INDUCEMENT, _p(
        r"众筹[^。]{0,12}(回报|分红|收益|返|利息)", r"股权众筹", r"公益[^，。]{0,8}(回报|分红|返利|收益)")),
    Detector("forex_futures", "外汇期货配资", ILLEGALITY, _p(
        r"外汇", r"期货", r"配资", r"杠杆", r"黄金(交易|投资|t\+d)", r"原油(交易|投资|宝)", r"微盘", r"带你做单")),
    Detector("project_investment", "项目加盟保底", INDUCEMENT, _p(
        r"(加盟|合伙|入股|投资|代理)[^。]{0,12}(保底|包回本|稳定分红|月入|回本|躺赚|坐收)",
        r"项目(投资|招商)[^。]{0,12}(分红|回报|收益)", r"投\d+万[^，。]{0,6}(月入|年入|回本)")),
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
        r"[人群员]满(即|就)?封(群)?", r"满员即止", r"机不可失", r"错过(再等|就没)", r"速抢", r"限时")),
    Detector("private_contact", "私下联系渠道", PUBLICITY, _p(
        r"加微信", r"加v", r"微信[号:：]", r"(详询|咨询|联系|认准|添加)微信", r"微信[a-z][a-z0-9_-]{4,}", _QQ, r"进群", r"入群", r"拉群", r"建群", r"扫码", r"口令", r"暗号",
        r"私聊", r"私信", r"添加.{0,4}(老师|助理|客服|经理)")),
    Detector("seminar_lure", "讲座会销诱饵", PUBLICITY, _p(
        r"讲座", r"推介会", r"说明会", r"答谢会", r"沙龙", r"健康课", r"养生课", r"免费旅游", r"免费体检",
        r"送鸡蛋", r"领鸡蛋", r"免费(午餐|吃饭|参观|考察)", r"考察", r"参观基地", r"专家讲解")),
    # 非法性: claims that cannot be true of a lawful offer
    Detector("government_backing", "冒用政府背书", ILLEGALITY, _p(
        r"政府(支持|扶持|背景|批准|主导|补贴项目|兜底|担保|授权)", r"国家(支持|扶持|批准|政策支持|项目|重点|战略|兜底)",
        r"国字头", r"央企(背景|控股)", r"国资(背景|控股)", r"民政(部|局)?(批准|认证|指定)",
        r"人社(局|部)?(指定|授权)", r"红头文件", r"官方(授权|认证|指定)", r"(银监会|证监会|银保监会)批准")),
    Detector("inside_channel", "内部渠道", ILLEGALITY, _p(
        r"内部(渠道|名额|指标|消息|关系|价|特批|人员)", r"特殊渠道", r"走关系", r"特批", r"托关系", r"绿色通道",
        r"包过", r"保过", r"百分百办成", r"包下(款|卡)", r"内部操作", r"特殊通道")),
    Detector("credit_evasion", "规避征信", ILLEGALITY, _p(
        r"不(看|查|上|问)征信", r"征信不好", r"黑户", r"白户", r"花户", r"无视(负债|征信|黑白|网贷)", r"不看负债",
        # the trade's own words: 征信：不看, 征信花了, 负债高网贷多都能批, 逾期可做, 不查车主征信
        r"征信[：:]?\s?不看", r"(不需要|不用|不需|无需)征信", r"不查[^，。]{0,4}征信", r"征信花", r"(负债|查询|网贷)(高|多)",
        r"(征信|负债|网贷|逾期)[^，。]{0,10}都(能|可以?)(批|贷|下|做)", r"逾期(可|也能|能)(贷|批|做|下|提)",
        # an identity document is the whole check: 有身份证就能贷, 农村户口可贷, 只看行驶证 (有社保就能贷 is also a
        # plain broker's line: social insurance is proof of income)
        r"(有|凭)(一张)?(身份证|户口本?|手机号)[^，。\s]{0,3}就(能|可以|可)?(贷|借|批|下款)",
        r"户口[^，。\s]{0,2}(就能|可以|也能|可|能)(贷|借)",
        r"(只|仅)(凭|需|要|看)[^，。]{0,4}(行驶证|驾驶证|驾照|户口本|营业执照|社保卡|公积金)", r"资质包装|资料包装",
        r"身份证[^，。\s]{0,4}(放款|下款|拿钱|到账|贷款|可贷|能贷)",  # 身份证贷款十分钟拿钱, 身份证两小时放款
        r"只(需|要)(一张)?身份证", r"凭(一张)?身份证", r"仅(凭|需)身份证", r"身份证即可", r"一张身份证", r"学生贷",
        r"学生可贷", r"裸条", r"(征信|黑名单|逾期)(修复|洗白|消除|铲除)", r"洗白", r"包装(流水|资料|征信)", r"做流水",
        r"空放", r"(网贷|大额|新|下款)口子", r"下款率", r"秒下款", r"秒批")),
    Detector("card_cashout", "信用卡套现代还", ILLEGALITY, _p(
        r"套现", r"养卡", r"代还", r"垫还", r"(快速|强开|包)提额", r"刷卡[^，。]{0,4}(提现|取现)",
        r"花呗[^，。]{0,4}(提现|取现)")),
    Detector("upfront_fee", "先交费后放款", ILLEGALITY, _p(
        r"(手续费|保证金|解冻费|工本费|服务费|押金|包装费|验资费|前期费用|打点费).{0,10}(放款|下款|到账|提现|解冻|出款)",
        r"(放款|下款|到账|出款)前.{0,6}(交|付|缴)", r"(前期)?资料费", r"(?<!不收)(?<!不收取)包装费",
        # interest taken before the loan (砍头息): 先扣利息, 借两万扣五千, 借1万到手8千
        r"先扣(利息|费用|手续费|服务费)", r"借[\d一二两三四五六七八九十百千万]+[^，。]{0,2}(到手|实到|扣)")),
    # A fake lending platform: the money is "approved" and waits behind a contact step (the fee comes later).
    Detector("fake_loan_platform", "虚假放款通知", ILLEGALITY, _p(
        r"(额度|借款|贷款)[^。]{0,12}(已到账|已下发|已审批|审核通过)[^。]{0,30}(添加|加)",
        r"(提现|放款|下款|出款)[^。]{0,10}(添加|联系|加)[^。]{0,6}(客服|专员|审核员|财务)")),
)

# Which detector speaks for each scheme of the guide (a scheme may also show others).
SCHEME_DETECTORS = {
    "elder_service": "elder_membership", "elder_project": "elder_project", "elder_product": "elder_product",
    "house_pension": "house_pension", "pension_insurance": "pension_agency", "elder_aid": "elder_aid",
    "high_yield": "fixed_yield", "private_fund": "private_fund", "original_shares": "original_shares",
    "crypto": "crypto", "consumption_rebate": "consumption_rebate", "coop_deposit": "coop_deposit",
    "art_shares": "art_shares", "crowdfunding": "crowdfunding", "stock_tips": "stock_tips",
    "forex_futures": "forex_futures", "pyramid": "recruitment", "project_investment": "project_investment",
    "property_leaseback": "buyback", "loan_fraud": "credit_evasion",
}

# Not a red flag: the words of someone warning about, reporting on or complaining of fraud.
WARNING_CONTEXT = Detector("warning_context", "防范提示语境", "", _p(
    r"警惕", r"谨防", r"提防", r"防范", r"切勿", r"不要(相信|轻信)", r"千万(不要|别)", r"骗局", r"诈骗",
    r"非法集资", r"报警", r"举报", r"96110", r"判处", r"判决", r"法院", r"检察院", r"公安", r"涉嫌", r"立案",
    r"被告", r"落网", r"不保本", r"投资有风险", r"理财非存款", r"存款保险", r"风险提示", r"谨慎", r"记者", r"据悉",
    r"(?<![\d月号款期止效账明今昨])日前(?!往)",  # a report's "recently", not a date's or a due day's 日前
    r"近日", r"报道", r"受害", r"被骗", r"维权", r"爆雷", r"跑路", r"血本无归", r"上当", r"追赃", r"退赔",
    r"有期徒刑", r"罚金",
    # a case report's and a doubting reader's words: 警方介绍, 据公诉机关指控, 该团伙; 求问, 靠谱吗, 总觉得不对劲
    r"警方", r"民警", r"指控", r"公诉", r"团伙", r"嫌疑人", r"犯罪", r"被抓", r"套路", r"(别|不要)(投|信)",
    r"提醒(大家|各位)", r"求问", r"靠谱吗", r"不对劲", r"大家怎么看"))

# Not a red flag either: an offer addressed to the reader (a contact, a call to act, a joining step).
# The four characteristics make an ad suspicious only together with such an invitation.
_INVITATION_WORDS = (
    r"详询", r"咨询", r"致电", r"来电", r"热线", r"电话", r"联系", r"加(微信|v|我|群|入)", r"进群", r"入群",
    r"扫码", r"点击", r"戳", r"报名", r"预约", r"抢购", r"立即", r"马上", r"速(来|抢|办|联系)", r"欢迎",
    r"名额", r"回t", r"退订", r"您(好|的|可|只需|即可|还在)", r"你(好|的|可|只需|即可|还在)", r"敬请", r"http", r"www",
    r"\.cn\b", r"\.com\b", _QQ, r"微信", r"认购", r"起投", r"起购", r"办理", r"申请", r"领取", r"开户", r"注册")
_LONG_NUMBER = r"\d{7,}"  # a phone or an account number
INVITATION = Detector("invitation", "面向读者的邀约", "", _p(*_INVITATION_WORDS, _LONG_NUMBER))
# The same matches, found as two patterns that each start with literals or a class, which the regex engine scans
# for at C speed (the one pattern cannot be): no word holds a digit, so no word match overlaps a number's.
_INVITATION_PARTS = (_p(*_INVITATION_WORDS), re.compile(_LONG_NUMBER))

# Rates of what is borrowed or saved at a bank are costs or deposits, not promised returns.
_LOAN_CONTEXT = re.compile(r"(贷|借|分期|还款|按揭|信用卡|房贷|车贷)")
_DEPOSIT_RATE_WORDS = ("年利率", "利率")
_BANK_DEPOSIT_MAX = 3.0  # a stated 年利率 at or below this is a deposit rate

RATE_BUCKETS = ((4.5, "rate_deposit_like"), (8.0, "rate_fund_like"), (15.0, "rate_high"), (float("inf"), "rate_very_high"))
RATE_FLAG = ("promised_rate", "承诺收益率", INDUCEMENT)

# Not a legal characteristic either: rare characters written where a common one of the same shape is meant
# (俌 for 铺, 萭 for 萬). Ordinary ads almost never hold two; an ad that does was written to slip past filters.
DISGUISED = ("disguised_characters", "形近字伪装")
MIN_DISGUISED = 2

INTERACTIONS = tuple(f"{c}_with_invitation" for c in (INDUCEMENT, ILLEGALITY, PUBLIC_AT_LARGE))
FEATURE_NAMES = tuple([d.key for d in DETECTORS] + [b for _, b in RATE_BUCKETS] + [WARNING_CONTEXT.key, INVITATION.key]
                      + ["money_without_invitation"] + list(INTERACTIONS) + [DISGUISED[0]])
FEATURE_LABELS = {d.key: d.name for d in DETECTORS} | {
    "rate_deposit_like": "承诺收益率(4.5%以下)", "rate_fund_like": "承诺收益率(4.5%-8%)",
    "rate_high": "承诺收益率(8%-15%)", "rate_very_high": "承诺收益率(15%以上)",
    WARNING_CONTEXT.key: WARNING_CONTEXT.name, INVITATION.key: INVITATION.name, DISGUISED[0]: DISGUISED[1],
    "money_without_invitation": "谈钱而无邀约", f"{INDUCEMENT}_with_invitation": "利诱性+邀约",
    f"{ILLEGALITY}_with_invitation": "非法性+邀约", f"{PUBLIC_AT_LARGE}_with_invitation": "社会性+邀约"}


def _rate_hits(cleaned: Cleaned, original: str) -> list[Hit]:
    hits = []
    for m in _RATE.finditer(cleaned.text):
        rate = annual_rate(m.group("word"), float(m.group("num")), m.group("unit"))
        if rate is None:
            continue
        if _LOAN_CONTEXT.search(cleaned.text, max(0, m.start() - 10), m.start()):
            continue  # the price of a loan
        if m.group("word") in _DEPOSIT_RATE_WORDS and rate <= _BANK_DEPOSIT_MAX:
            continue  # a deposit rate
        s, e = cleaned.original_span(*m.span())
        hits.append(Hit(RATE_FLAG[0], RATE_FLAG[1], RATE_FLAG[2], original[s:e], s, e, rate))
    return hits


def _detector_hits(detector: Detector, cleaned: Cleaned, original: str, matches=None) -> list[Hit]:
    """A hit of the detector for each match (of its own pattern unless ``matches`` are given) in the cleaned text."""
    hits = []
    for m in detector.pattern.finditer(cleaned.text) if matches is None else matches:
        s, e = cleaned.original_span(*m.span())
        hits.append(Hit(detector.key, detector.name, detector.characteristic, original[s:e], s, e))
    return hits


# One scan for the anchors of every pattern below tells which can match a cleaned text; only those run.
_GATE = AnchorGate([_RATE, WARNING_CONTEXT.pattern] + [d.pattern for d in DETECTORS])
_RATE_BIT, _WARNING_BIT = 1, 2
_GATED_DETECTORS = tuple((1 << (i + 2), d) for i, d in enumerate(DETECTORS))
_last_scan: tuple[str | None, int] = (None, 0)


def _possible(text: str) -> int:
    """``_GATE.possible`` of a cleaned text, kept for the next call: one ad asks three times."""
    global _last_scan
    last = _last_scan
    if last[0] is not text:
        last = _last_scan = (text, _GATE.possible(text))
    return last[1]


def find_red_flags(text: str, cleaned: Cleaned | None = None) -> list[Hit]:
    """Every red flag in an ad, in order of position; each detector that can match runs once."""
    cleaned = cleaned or clean(text)
    possible = _possible(cleaned.text)
    hits = _rate_hits(cleaned, text) if possible & _RATE_BIT else []
    for bit, detector in _GATED_DETECTORS:  # _detector_hits inlined: this loop runs for every ad of a batch
        if possible & bit:
            for m in detector.pattern.finditer(cleaned.text):
                s, e = cleaned.original_span(*m.span())
                hits.append(Hit(detector.key, detector.name, detector.characteristic, text[s:e], s, e))
    return sorted(hits, key=lambda h: (h.start, h.end))


MAX_HITS_PER_DETECTOR = 3   # distinct pieces of evidence shown per detector
MAX_RED_FLAGS = 20          # per ad; every detector that fired keeps its first hit even past this


def shown_red_flags(hits: list[Hit]) -> tuple[list[Hit], int]:
    """The hits an inspector is shown, and how many more there were.

    Repeated evidence of one detector is shown once, at most MAX_HITS_PER_DETECTOR per
    detector and MAX_RED_FLAGS in all. Every detector that fired keeps its first hit and the
    highest promised rate is kept, so the model's features (presence per detector, highest
    rate) are the same from the shown hits as from all of them.
    """
    by_key: dict[str, list[Hit]] = {}
    for hit in hits:
        by_key.setdefault(hit.key, []).append(hit)
    chosen = []
    for group in by_key.values():
        seen: set[str] = set()
        distinct = [h for h in group if not (h.evidence in seen or seen.add(h.evidence))]
        kept = distinct[:MAX_HITS_PER_DETECTOR]
        rated = [h for h in distinct if h.annual_rate is not None]
        if rated:
            top = max(rated, key=lambda h: h.annual_rate)
            if top not in kept:
                kept[-1] = top
        chosen.append(kept)
    by_rank = [group[rank] for rank in range(MAX_HITS_PER_DETECTOR) for group in chosen if rank < len(group)]
    shown = sorted(by_rank[:max(MAX_RED_FLAGS, len(chosen))], key=lambda h: (h.start, h.end))
    return shown, len(hits) - len(shown)


def warning_context(text: str, cleaned: Cleaned | None = None) -> list[Hit]:
    """Spans that show the ad warns about or reports on fraud."""
    cleaned = cleaned or clean(text)
    return _detector_hits(WARNING_CONTEXT, cleaned, text) if _possible(cleaned.text) & _WARNING_BIT else []


def invitation(text: str, cleaned: Cleaned | None = None) -> list[Hit]:
    """Spans that address the reader: a contact, a call to act, a joining step."""
    cleaned = cleaned or clean(text)
    words_pattern, numbers_pattern = _INVITATION_PARTS
    words, numbers = list(words_pattern.finditer(cleaned.text)), list(numbers_pattern.finditer(cleaned.text))
    matches = sorted(words + numbers, key=lambda m: m.start()) if numbers else words
    return _detector_hits(INVITATION, cleaned, text, matches)


_FEATURE_INDEX = {name: i for i, name in enumerate(FEATURE_NAMES)}


def disguised_characters(text: str, cleaned: Cleaned | None = None) -> list[Hit]:
    """Rare characters of the ad (read after width and traditional forms are folded) that look like a common
    character, and characters written in two parts (阝艮), when there are at least MIN_DISGUISED of them (one can
    be a name; several are a disguise)."""
    cleaned = cleaned or clean(text)
    hits = [Hit(DISGUISED[0], DISGUISED[1], "", text[s:e], s, e) for s, e in cleaned.look_alikes]
    return hits if len(hits) >= MIN_DISGUISED else []


def flag_indices(red_flags: list[Hit], warnings: list[Hit], invitations: list[Hit], disguised=()) -> list[int]:
    """The red-flag features an ad has, as positions in FEATURE_NAMES, ascending: presence of each detector,
    the bucket of the highest promised rate, the warning and invitation contexts, each
    characteristic together with an invitation, and disguised characters.

    Derived from the hits the explanation shows, so the model and the inspector see the same evidence.
    """
    present, best = set(), None
    for hit in red_flags:
        if hit.annual_rate is not None:
            best = hit.annual_rate if best is None else max(best, hit.annual_rate)
        else:
            present.add(_FEATURE_INDEX[hit.key])
    if best is not None:
        present.add(_FEATURE_INDEX[next(bucket for upper, bucket in RATE_BUCKETS if best <= upper)])
    if warnings:
        present.add(_FEATURE_INDEX[WARNING_CONTEXT.key])
    characteristics = {hit.characteristic for hit in red_flags}
    if invitations:
        present.add(_FEATURE_INDEX[INVITATION.key])
        for c in (INDUCEMENT, ILLEGALITY, PUBLIC_AT_LARGE):
            if c in characteristics:
                present.add(_FEATURE_INDEX[f"{c}_with_invitation"])
    elif INDUCEMENT in characteristics:
        present.add(_FEATURE_INDEX["money_without_invitation"])
    if disguised:
        present.add(_FEATURE_INDEX[DISGUISED[0]])
    return sorted(present)


def flag_vector(red_flags: list[Hit], warnings: list[Hit], invitations: list[Hit], disguised=()) -> np.ndarray:
    """``flag_indices`` as a 0/1 row over FEATURE_NAMES."""
    row = np.zeros(len(FEATURE_NAMES), dtype=np.float64)
    row[flag_indices(red_flags, warnings, invitations, disguised)] = 1.0
    return row


def __getattr__(name: str):
    # Models pickled before the scikit-learn transformer moved to features.pipeline still load.
    if name == "RedFlagFeatures":
        from .pipeline import RedFlagFeatures

        return RedFlagFeatures
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
