from features.normalise import clean, model_text, normalise
from features.tokenize import jieba_tokens, rjieba_tokens


def test_folds_width_traditional_spacing_and_zero_width():
    assert clean("保 本 保 息").text == "保本保息"
    assert clean("穩賺不賠，養老投資").text.startswith("稳赚不赔")
    assert clean("ＶＸ１２３").text == "微信123"
    assert clean("养\u200b老").text == "养老"
    assert clean("稳💰赚").text == "稳赚"


def test_disguised_words_are_spelled_the_usual_way():
    assert "微信" in clean("加薇信详聊").text
    assert "保本" in clean("bao本理财").text
    assert "股票" in clean("免费推荐股漂").text


def test_original_spans_survive_cleaning():
    original = "现在 保 本 保 息，年化１８％"
    c = clean(original)
    i = c.text.index("保本保息")
    start, end = c.original_span(i, i + 4)
    assert original[start:end] == "保 本 保 息"


def test_canonical_tokens_keep_rate_magnitude_and_hide_contacts():
    text = normalise("年化18%，存款利率2.5%，电话13912345678，微信abc_123，网址 http://t.cn/Ab12 QQ:123456")
    assert "xxpctd" in text and "xxpcta" in text
    assert "xxphone" in text and "xxwechat" in text and "xxurl" in text and "xxqq" in text
    assert "13912345678" not in text
    assert model_text("第3期 共12人") == "第0期 共0人"


def test_tokenizers_agree_and_know_domain_words():
    text = normalise("以房养老，保本保息，原始股，静态收益，不看征信")
    for word in ("以房养老", "保本保息", "原始股", "静态收益", "不看征信"):
        assert word in jieba_tokens(text)
    assert jieba_tokens(text) == rjieba_tokens(text)
