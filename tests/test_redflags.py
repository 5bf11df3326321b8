from features.redflags import CHARACTERISTICS, DETECTORS, annual_rate, find_red_flags, warning_context


def names(text):
    return {h.name for h in find_red_flags(text)}


def test_every_detector_has_a_chinese_name_and_a_characteristic():
    for d in DETECTORS:
        assert d.characteristic in CHARACTERISTICS
        assert any("\u4e00" <= ch <= "\u9fff" for ch in d.name)


def test_promised_rate_is_extracted_and_annualised():
    hits = [h for h in find_red_flags("月息2分，年化收益18%，日息5厘") if h.name == "承诺收益率"]
    assert [h.annual_rate for h in hits] == [24.0, 18.0, 18.25]
    assert annual_rate("年化", 18, "%") == 18.0


def test_hits_point_at_the_original_text():
    text = "叔叔阿姨们：保 本 保 息，推荐一人奖励300元，加薇信详聊"
    for h in find_red_flags(text):
        assert text[h.start:h.end] == h.evidence
    assert {"保本稳赚承诺", "拉人头奖励", "针对老年人", "私下联系渠道"} <= names(text)


def test_compliant_wording_is_not_a_guarantee():
    assert "保本稳赚承诺" not in names("本产品不保本，理财非存款，投资须谨慎")
    assert warning_context("本产品不保本，理财非存款，投资须谨慎")


def test_loan_fraud_and_government_claims():
    assert {"规避征信", "先交费后放款"} <= names("黑户可贷不看征信，交保证金后当天放款")
    assert "冒用政府背书" in names("国家扶持的康养项目，政府兜底")
    assert "内部渠道" in names("走内部渠道补缴社保，提前领养老金")


def test_loan_broker_slang_is_read_and_licensed_wording_is_not():
    assert "规避征信" in names("征信：不看 额度评估价七成 当天放款")
    assert "规避征信" in names("征信花了 负债高 网贷多 都能批")
    assert "规避征信" in names("农村户口可贷，有身份证就能借，只看行驶证")
    assert "规避征信" in names("身份证两小时放款 车贷不押车")  # no 凭 or 只需: the card beside the money
    assert "先交费后放款" in names("先扣利息再放款，借两万扣五千")
    assert "先交费后放款" in names("单子卡住了，得交2800打点费，交了马上出款")
    assert "虚假放款通知" in names("您的额度已到账，请添加财务专员微信提现")
    assert "内部渠道" in names("被银行拒了也能办，有特殊通道，包下款")
    for licensed in ("个人消费贷款年化利率3.6%起，以审批结果为准，放款前不收取任何费用",
                     "本行不收包装费保证金，请通过官方APP申请",
                     "公积金贷款需缴存满6个月，额度以审批为准", "有社保就能贷，连续缴满半年，额度看缴存基数",
                     "申请贷款请携带身份证到网点办理"):
        assert not {"规避征信", "先交费后放款", "内部渠道"} & names(licensed), licensed


def test_rent_promised_in_other_words_is_a_leaseback():
    for offer in ("买车位当房东，物业代租代收，租不出去物业照付", "开发商按房款7%付租金，三年后可续签",
                  "买铺就送5年租金", "商铺月租金3500直接打卡", "一铺养三代，临街档口", "租金覆盖月供，轻松做业主"):
        assert "回购返租承诺" in names(offer), offer
    for listing in ("临街商铺出租，月租金3500元，押一付三", "三居室出售，总价88万，可按揭", "房东直租，拎包入住"):
        assert "回购返租承诺" not in names(listing), listing


def test_case_reports_and_doubting_readers_are_warning_context():
    for text in ("警方介绍，该团伙先拉人进群再推荐股票", "据公诉机关指控，平台承诺到期返还本金",
                 "求问：朋友推荐的养老床位认购靠谱吗？我总觉得不对劲"):
        assert warning_context(text), text
    assert not warning_context("养老床位认购，到期返还本金，加微信详询")
    # 日前 of a report ("recently"), not of a date or a due day (5日前, 月日前 with its digits deleted, 还款日前)
    assert warning_context("某区法院日前宣判一起集资诈骗案")
    for deadline in ("请于5日前还款", "流量红包限月日前领取", "还款日前还清可享免息期", "请于明日前往网点办理"):
        assert not warning_context(deadline), deadline


def test_several_look_alike_characters_are_a_disguise_pointed_at_in_the_original():
    from features.ad import read_ad

    text = "临街旺俌，每间8萭起，月租上千"
    ad = read_ad(text)
    assert [h.evidence for h in ad.disguised] == ["俌", "萭"]
    assert all(text[h.start:h.end] == h.evidence for h in ad.disguised)
    assert "旺铺" in ad.model_text  # restored for the model, and still counted as a disguise


def test_one_rare_character_or_traditional_script_is_not_a_disguise():
    from features.ad import read_ad

    assert read_ad("港囧来袭，今晚八点首映").disguised == []                # one rare character: a title, a name
    assert read_ad("旺角舖位出租，每月租金八萬，歡迎查詢").disguised == []  # traditional characters are folded first
    assert read_ad("QQ群里聊，欢迎加入").disguised == []


def test_a_disguise_is_shown_to_the_inspector(screener):
    from screener.report import human

    result = screener.analyse(["临街旺俌，每间8萭起，包租包管，年收益8%，加薇信"])[0]
    assert result.disguised == ["俌", "萭"]
    assert "形近字伪装（罕用字冒充常用字）: 俌、萭" in human(result)
    assert result.to_dict()["disguised_characters"] == ["俌", "萭"]


def test_a_platform_sign_up_gift_that_leads_into_investing_is_a_lending_platform_flag():
    assert "私募网贷平台" in names("实名注册即送50元红包，首次投资再赠加息券")
    # a shop's or a broker's sign-up gift with nothing to invest is not
    assert "私募网贷平台" not in names("新用户注册即送50元优惠券，首单立减")
    assert "私募网贷平台" not in names("开户注册送流量包，交易佣金万二")
