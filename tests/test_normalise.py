import json
import os
import subprocess
import sys

from features.normalise import clean, model_text, normalise
from features.tokenize import jieba_tokens, rjieba_tokens
from screener.config import ROOT


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


def test_masked_digits_read_as_digits():
    text = normalise("年收益x%到xx%，电话1xxxxxxxxxx，尾号188****6621，月息*分")
    assert "xxphone" in text and "xxpctc" in text and "xxpcte" in text
    assert clean("月息*分").text == "月息8分"
    assert clean("***重要通知***").text == "***重要通知***"  # decoration is not a masked number
    assert clean("xbox特价").text == "xbox特价"
    assert clean("年化x.x%，xx年租约，总价xx万").text == "年化8.8%,88年租约总价88万"  # a unit after the mask
    assert clean("来电xxxxxxxxxxx").text == "来电88888888888"  # a number masked whole
    for number in ("xxxxxxxxxxx", "xxx-xxxx-xxxx", "xxxx-xxxxxxxx", "400-xxx-xxxx", "0571-8888xxxx", "1xx-xxxx-xx21"):
        assert normalise(f"咨询{number}速来") == "咨询 xxphone 速来", number  # still a phone number
    assert "xxphone" not in normalise("日期2024-05-01，编号123-4567-x")
    assert clean("x光检查，前xx名").text == "x光检查前xx名"  # no unit, too short: left as written


def test_spaced_letters_and_digits_are_joined():
    assert clean("V X : a b c 1 2 3").text == "微信:abc123"  # the spaced-out colon is part of the run
    assert clean("日 收 益 0 . 5 % ， 加 v").text == "日收益0.5%,加微信"  # any character between the separators
    # A word gap spaced out is three spaces: it reads as the one space it was.
    assert clean("1 3 9   1 2 3 4   5 6 7 8").text == "139 1234 5678"
    assert model_text(clean("1 3 9   1 2 3 4   5 6 7 8").text) == "xxphone"
    assert clean("电话 1 3 9 1 2 3 4 5 6 7 8").text == "电话13912345678"
    assert clean("保·本·保·息 年|化|1|8|%").text == "保本保息年化18%"
    assert clean("2-3天到货，10-20%折扣").text == "2-3天到货,10-20%折扣"  # ordinary dashes stay


def test_look_alike_characters_are_restored_by_shape_and_dictionary():
    assert clean("临街旺俌出售").text == "临街旺铺出售"    # 俌 shares 甫 with 铺
    assert clean("天府广埸写字间").text == "天府广场写字间"  # 埸 differs from 場 by one similar part
    assert clean("酒店消镄可抵").text.startswith("酒店消费")    # 镄 holds 费
    assert clean("全囯连锁").text == "全国连锁"
    # A domain word rare in everyday text (包租: 4 in jieba's dictionary) is read at the domain dictionary's frequency.
    assert clean("开发商包柤5年").text == "开发商包租5年"
    assert clean("三年返柤8%").text == "三年返租8%"  # not 返本: the rent is what is paid back
    original = "营业俌面出售"
    c = clean(original)
    i = c.text.index("铺面")
    assert original[slice(*c.original_span(i, i + 2))] == "俌面"


def test_a_character_written_in_two_parts_is_joined_where_it_forms_a_word():
    assert clean("名额有阝艮先到先得").text == "名额有限先到先得"  # not 郁 (有 + 阝) then 艮
    assert clean("钅艮行卡 氵每外投资").text == "银行卡海外投资"
    original = "年亻匕收益9%"
    c = clean(original)
    assert c.text == "年化收益9%"
    assert original[slice(*c.original_span(1, 2))] == "亻匕"  # the joined character spans both parts
    assert c.look_alikes == ((1, 3),)  # and counts as a disguise
    assert model_text(c.text) == "年化收益 xxpctc"
    assert clean("首付两成年月亻共两千").text == "首付两成年月供两千"  # a word of the trade, not 中 for 亻 (中共)
    # Two ordinary characters are never joined (女子 is not 好), nor parts that form no word here.
    assert clean("女子学校 口十").text == "女子学校口十"
    assert clean("阝艮").text == "阝艮"


def test_only_the_first_rare_characters_of_an_ad_are_read_back():
    # A real disguise uses a handful; a text made of thousands (hostile input) is not worked through one by one.
    from features.variants import MAX_RESTORED

    c = clean("旺俌出售," * (MAX_RESTORED + 20))
    assert c.text.count("旺铺") == MAX_RESTORED and c.text.count("旺俌") == 20
    assert len(c.look_alikes) == MAX_RESTORED + 20  # every one still counts as a disguise


def test_homophones_of_key_words_are_restored_but_real_words_are_kept():
    assert clean("年化收溢百分之十").text == "年化收益百分之十"
    assert clean("免费推荐股漂").text == "免费推荐股票"
    assert clean("当天就能袋款").text == "当天就能贷款"
    assert clean("只收一学期的费用").text == "只收一学期的费用"  # everyday characters must match the tones too
    assert clean("这里才有好东西").text == "这里才有好东西"    # 里才 is not 理财 here
    assert clean("去手艺人那里").text == "去手艺人那里"        # 手艺 is a word, not 收益


def test_the_look_alike_dictionary_holds_every_entry_of_jiebas_dict_txt():
    # Read in one pass, without importing jieba: the same words and frequencies as reading it line by line.
    from importlib.util import find_spec
    from pathlib import Path

    from features.variants import _general_dictionary

    expected = {}
    for line in Path(find_spec("jieba").origin).with_name("dict.txt").read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) >= 2:
            expected[parts[0]] = int(parts[1])
    assert len(expected) > 300_000
    assert _general_dictionary() == expected


def test_a_dictionary_with_untagged_lines_is_read_line_by_line():
    from features.variants import read_dictionary

    assert read_dictionary("保本 30 v\n旺铺 12\n年化 8 n") == {"保本": 30, "旺铺": 12, "年化": 8}
    assert read_dictionary("保本 30 v\n旺铺 12 n\n") == {"保本": 30, "旺铺": 12}


def test_derived_character_tables_are_cached_and_a_damaged_cache_is_rebuilt(tmp_path):
    probe = ("import json, sys; from features import variants; from features.normalise import normalise; "
             "print(json.dumps([normalise('收溢稳定 加薇信 钻俌出租'), "
             "sorted(p.name for p in variants.cache_dir().glob('*'))]))")

    def run():
        env = {**os.environ, "SCREENER_CACHE": str(tmp_path)}
        out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True,
                             check=True).stdout
        return json.loads(out)

    built, files = run()
    assert len(files) == 1 and files[0].startswith("variants-") and files[0].endswith(".json")
    assert run() == [built, files]  # read from the cache, same result
    (tmp_path / files[0]).write_text("{not json", encoding="utf-8")
    assert run() == [built, files]  # damaged: built again and rewritten
    assert json.loads((tmp_path / files[0]).read_text(encoding="utf-8"))["common"]
    assert built == normalise("收溢稳定 加薇信 钻俌出租")


def test_restoring_look_alikes_does_not_depend_on_the_string_hash_seed(tmp_path):
    # Several disguised characters side by side: the candidates' order decides among equal readings, so it
    # must come from sorting, not from set iteration (which changes with PYTHONHASHSEED between processes).
    texts = ["车位出軎7刔 产攴 嗸过迉", "账户又粶油苖一片种菜专业户沋是我", "预售\n亻熭月栟礼盒\n定金20抵50\n稻香対专粔",
             "又到交车贷的迖玍了，一个月3200，压力肀大"]
    probe = f"import json; from features.normalise import clean; print(json.dumps([clean(t).text for t in {texts!r}]))"
    outputs = set()
    for seed in ("1", "2", "3"):
        env = dict(os.environ, PYTHONHASHSEED=seed, SCREENER_CACHE=str(tmp_path))
        out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True,
                             check=True).stdout
        outputs.add(out)
    assert len(outputs) == 1
    assert len(json.loads(outputs.pop())) == len(texts)


def test_the_cheap_checks_before_each_cleaning_step_never_skip_a_match():
    """Steps run only on texts that hold what all their matches hold; over random mixes of the characters the
    steps look at, every text a step matches passes its check, and the between-characters pattern written to
    scan fast finds what the plain one does."""
    import random
    import re

    from features import normalise as N

    plain_between = re.compile(rf"(?<=[{N.CJK_RANGE}])[^{N.CJK_RANGE}a-z0-9]{{1,6}}(?=[{N.CJK_RANGE}])")
    alphabet = list("保本年化息微信q") + list(" ·/|*~_-.,、+=#^%％") + ["x", "*", "1", "8", "0", "a", "\t", "\n", "\u3000"]
    alphabet += ["1381234", "5678", "0571-", "400", "www.", "abc", ".cn", "http://", "qq", "微信", "号:", "wx_id8"]
    rng = random.Random(7)
    seen = dict.fromkeys(["interleaved", "masked", "spaced", "phone", "url", "qq", "wechat", "percent"], 0)
    for _ in range(30_000):
        s = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 24)))
        assert [m.span() for m in N._BETWEEN_CJK.finditer(s)] == [m.span() for m in plain_between.finditer(s)]
        checks = {"interleaved": (N._INTERLEAVED, N._MAY_INTERLEAVE.search(s)),
                  "masked": (N._MASKED, "x" in s or "*" in s),
                  "spaced": (N._SPACED_ALNUM, N._MAY_BE_SPACED.search(s)),
                  **{name: (pattern, N.may_match(pattern, s)) for name, pattern in (
                      ("phone", N.PHONE), ("url", N.URL), ("qq", N.QQ), ("wechat", N.WECHAT), ("percent", N._PERCENT))}}
        for name, (pattern, passes) in checks.items():
            if pattern.search(s):
                seen[name] += 1
                assert passes, (name, s)
    assert min(seen.values()) > 0, seen  # each pattern matched somewhere, so each check was put to the test


def test_phone_and_account_patterns_written_to_scan_fast_find_what_the_plain_ones_find():
    import random
    import re

    from features.contacts import ACCOUNT
    from features.normalise import PHONE

    plain_phone = re.compile(r"(?<!\d)(?:(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}|0\d{2,3}[- ]?\d{7,8}"
                             r"|[48]00[- ]?\d{3}[- ]?\d{4}|8{3}[- ]?8{4}[- ]?8{4}|8{3,4}-8{7,8}|8{3}-8{3}-8{4})(?!\d)")
    plain_account = re.compile(r"(?<!\d)(?:\d{4}[ -]?){3}\d{4}(?:[ -]?\d{1,3})?(?!\d)")
    alphabet = ["1", "3", "8", "0", "4", "6", "9", "+", "-", " ", "a", "电", "86", "888", "8888", "400", "138", "0571"]
    rng = random.Random(11)
    found = {"phone": 0, "account": 0}
    for _ in range(40_000):
        s = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 16)))
        for name, fast, plain in (("phone", PHONE, plain_phone), ("account", ACCOUNT, plain_account)):
            spans = [m.span() for m in plain.finditer(s)]
            assert [m.span() for m in fast.finditer(s)] == spans, (name, s)
            found[name] += bool(spans)
    assert min(found.values()) > 500, found
