"""Each red-flag detector on its own: one text it must fire on, one near miss it must not."""
import pytest

from features.redflags import DETECTORS, find_red_flags, warning_context

CASES = {
    # key: (hit, near miss)
    "guarantee": ("本金安全，保本保息，稳赚不赔", "本产品不保本，投资须谨慎"),
    "buyback": ("认购床位，五年到期回购", "旧手机回收，以旧换新"),
    "dividend": ("入股年底分红，躺赚收益", "年终红包已发放，请查收"),
    "stock_tips": ("老师带你抓涨停牛股", "证券公司开户送行情软件"),
    "advance_payment": ("预售床位，一次性缴纳十万", "入住后按月缴费，费用公示"),
    "recruitment": ("推荐一人奖励500元，发展下线", "招聘销售，底薪加提成"),
    "open_to_all": ("人人可投，1000元起投", "本店限成人购买"),
    "elderly_target": ("叔叔阿姨看过来", "儿童游泳班招生"),
    "urgency": ("名额有限，先到先得", "长期有效，随时办理"),
    "private_contact": ("加微信详聊，进群领资料", "请到店咨询"),
    "seminar_lure": ("免费健康讲座，送鸡蛋", "周末超市鸡蛋特价"),
    "government_backing": ("国家扶持项目，政府兜底", "社区政务服务中心搬迁通知"),
    "inside_channel": ("内部渠道补缴社保", "社保补缴请到社保局窗口办理"),
    "credit_evasion": ("黑户可贷，不看征信", "贷款需审核征信，以审批为准"),
    "upfront_fee": ("先交保证金后放款", "放款后按月还款"),
    "risky_product": ("原始股认购，上市前翻倍", "本周股市行情回顾"),
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


def test_promised_rate_and_its_near_miss():
    assert "promised_rate" in keys("年化收益18%")
    assert "promised_rate" not in keys("全场满100减18")


def test_warning_context_and_its_near_miss():
    assert warning_context("警惕非法集资，请拨打96110")
    assert not warning_context("年化收益18%，到期回购")
