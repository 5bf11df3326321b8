"""Each red-flag detector on its own: one text it must fire on, one near miss it must not."""
import pytest

from features.redflags import DETECTORS, find_red_flags, invitation, warning_context

CASES = {
    # key: (hit, near miss)
    "guarantee": ("本金安全，保本保息，稳赚不赔", "平台担保本息，本产品不保本"),
    "buyback": ("认购床位，五年到期回购", "旧手机回收，以旧换新"),
    "dividend": ("入股年底分红，躺赚收益", "会员日积分翻倍，年终红包已发放"),
    "stock_tips": ("老师带你抓涨停牛股", "证券公司开户送行情软件"),
    "advance_payment": ("预售床位，一次性缴纳十万", "入住后按月缴费，费用公示"),
    "elder_membership": ("康养中心会员卡存五万，每年返息百分之八", "养老院床位2800元每月，按月结算"),
    "elder_project": ("投资康养基地，认购份额年年分红", "康养基地开放日，欢迎参观"),
    "elder_product": ("买保健品满一年全额回购返本", "保健品不能代替药物，请遵医嘱"),
    "house_pension": ("以房养老，房产抵押后每月领钱理财", "二手房出售，满五唯一"),
    "pension_agency": ("代办养老保险，内部渠道补缴社保", "社保缴费基数调整通知"),
    "elder_aid": ("加入养老互助会，交互助金每月领补贴", "社区志愿者上门帮老人打扫卫生"),
    "fixed_yield": ("鑫盛财富公司新品年化收益8%，1万起投，到期还本付息", "本行存款利率下调，请知悉"),
    "private_fund": ("P2P平台资金由第三方托管，新手福利", "基金定投讲座，投资有风险"),
    "original_shares": ("原始股认购，上市前翻十倍", "本周股市行情回顾"),
    "crypto": ("虚拟币挖矿，区块链项目稳赚", "比特币价格今日下跌的新闻"),
    "consumption_rebate": ("消费全返，购物返本，花多少返多少", "满300减50，会员九折"),
    "coop_deposit": ("农民合作社吸收存款，月息一分", "合作社收购新鲜玉米"),
    "art_shares": ("艺术品份额交易，邮币卡上市翻倍", "书画展免费参观"),
    "crowdfunding": ("众筹开店，每月分红回报", "公益捐书活动，欢迎参加"),
    "forex_futures": ("外汇期货配资，十倍杠杆", "外语培训班招生"),
    "project_investment": ("加盟奶茶项目，保底月入三万，包回本", "奶茶店招聘店员，包吃住"),
    "recruitment": ("推荐一人奖励500元，发展下线", "招聘销售，底薪加提成"),
    "open_to_all": ("人人可投，1000元起投", "本店限成人购买"),
    "elderly_target": ("叔叔阿姨看过来", "儿童游泳班招生"),
    "urgency": ("名额有限，先到先得", "长期有效，随时办理"),
    "private_contact": ("加微信详聊，进群领资料", "请到店咨询"),
    "seminar_lure": ("免费健康讲座，送鸡蛋", "周末超市鸡蛋特价"),
    "government_backing": ("国家扶持项目，政府兜底", "民政局备案的护理院，按月收费"),
    "inside_channel": ("内部渠道补缴社保", "社保补缴请到社保局窗口办理"),
    "credit_evasion": ("黑户可贷，不看征信，一张身份证秒下款", "贷款需审核征信，以审批为准"),
    "card_cashout": ("信用卡套现，代还垫还养卡", "信用卡按时还款，避免逾期"),
    "upfront_fee": ("先交保证金后放款", "放款后按月还款"),
    "fake_loan_platform": ("您的额度已到账，请添加财务专员微信提现", "您的借款已到账，请按时还款，客服热线95188"),
}

def keys(text):
    return {h.key for h in find_red_flags(text)}


def test_every_detector_is_covered():
    assert set(CASES) == {d.key for d in DETECTORS}


@pytest.mark.parametrize("key", sorted(CASES))
def test_detector_fires_on_its_sign(key):
    hit, _ = CASES[key]
    assert key in keys(hit)


@pytest.mark.parametrize("key", sorted(CASES))
def test_detector_stays_quiet_on_a_near_miss(key):
    _, near_miss = CASES[key]
    assert key not in keys(near_miss)


def test_promised_rate_and_its_near_misses():
    assert "promised_rate" in keys("年化收益18%")
    assert "promised_rate" not in keys("全场满100减18")
    assert "promised_rate" not in keys("三年期存款年利率1.75%")  # a bank's deposit rate
    assert "promised_rate" not in keys("个人消费贷款年化利率3.6%起")  # the price of a loan
    assert "promised_rate" not in keys("邀请好友再得10%优惠")


def test_every_scheme_has_a_flag_of_its_own():
    from screener.corpus import SUSPICIOUS_CATEGORIES
    from features.redflags import SCHEME_DETECTORS

    assert set(SCHEME_DETECTORS) == set(SUSPICIOUS_CATEGORIES)
    for scheme, key in SCHEME_DETECTORS.items():
        assert key in CASES, scheme
        assert key in keys(CASES[key][0]), scheme


def test_warning_context_and_its_near_miss():
    assert warning_context("警惕非法集资，请拨打96110")
    assert not warning_context("年化收益18%，到期回购")


def test_invitation_and_its_near_miss():
    assert invitation("年化18%，详询王经理13912345678")
    assert not invitation("我的股票今天涨停了，公司宣布回购")


def test_money_without_invitation_is_its_own_feature():
    from features.pipeline import read_ad
    from features.redflags import FEATURE_NAMES, flag_vector

    def vector(text):
        ad = read_ad(text)
        return dict(zip(FEATURE_NAMES, flag_vector(ad.red_flags, ad.warnings, ad.invitations)))

    chat = vector("我买的那只股票分红了，年化收益18%，开心")
    offer = vector("年化收益18%，分红稳定，详询13912345678")
    assert chat["money_without_invitation"] == 1 and chat["利诱性_with_invitation"] == 0
    assert offer["money_without_invitation"] == 0 and offer["利诱性_with_invitation"] == 1
