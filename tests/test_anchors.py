"""Literal anchors let red flags skip the patterns that cannot match; skipping must never lose a hit."""
import re

import pandas as pd
import pytest

from features import redflags
from features.anchors import AnchorGate, anchors
from features.normalise import clean
from screener.config import DEFAULT_DATA


@pytest.mark.parametrize("pattern, expected", [
    ("加(微信|v)", {"加微信", "加v"}),                        # a fixed prefix joins each alternative
    ("[日月周]返", {"日返", "月返", "周返"}),                  # a small class is spelled out
    ("只(需|要)(一张)?身份证", {"只需身份证", "只要身份证", "只需一张身份证", "只要一张身份证"}),
    ("(?<!积分)(?<!积分再)翻倍", {"翻倍"}),                  # look-behinds consume nothing
    (r"返.{0,2}年租金", {"年租金"}),                          # the longer of two fixed parts
    (r"\d+元(起投|入股)", {"元起投", "元入股"}),
    ("(代办|代缴)[^，。]{0,6}(社保|养老金)", {"代办", "代缴"}),
])
def test_anchors_of_a_pattern(pattern, expected):
    assert anchors(pattern) == expected


@pytest.mark.parametrize("pattern", [r"\d{7,}", "x|y?", "[^a]+", "(?i)保本", "(?i:保本)"])
def test_a_pattern_that_can_match_without_fixed_text_has_no_anchors(pattern):
    assert anchors(pattern) is None


def test_gate_marks_only_the_patterns_whose_anchors_occur():
    gate = AnchorGate([re.compile("保本|保息"), re.compile(r"\d{7,}"), re.compile("加(微信|v)")])
    assert gate.possible("年化18% 保本") == 0b011        # the second has no anchors and always runs
    assert gate.possible("请加v详聊") == 0b110
    assert gate.possible("今日特价") == 0b010


def test_every_match_of_every_detector_holds_one_of_its_anchors():
    """Each detector's own matches over the corpus contain an anchor: the gate would have let it run."""
    texts = [clean(t).text for t in pd.read_csv(DEFAULT_DATA)["text"]]
    patterns = [redflags._RATE, redflags.WARNING_CONTEXT.pattern] + [d.pattern for d in redflags.DETECTORS]
    checked = 0
    for pattern in patterns:
        found = anchors(pattern)
        assert found is not None, pattern.pattern[:40]
        for text in texts:
            for m in pattern.finditer(text):
                assert any(a in m.group(0) for a in found), (pattern.pattern[:40], m.group(0))
                checked += 1
    assert checked > 10_000


def test_gated_red_flags_equal_running_every_detector():
    texts = pd.read_csv(DEFAULT_DATA)["text"].tolist()[::3]
    for text in texts:
        cleaned = clean(text)
        every = redflags._rate_hits(cleaned, text) + [
            h for d in redflags.DETECTORS for h in redflags._detector_hits(d, cleaned, text)]
        assert redflags.find_red_flags(text, cleaned) == sorted(every, key=lambda h: (h.start, h.end))
        assert redflags.warning_context(text, cleaned) == redflags._detector_hits(redflags.WARNING_CONTEXT,
                                                                                  cleaned, text)


def test_invitation_found_in_two_fast_patterns_equals_the_single_pattern():
    texts = pd.read_csv(DEFAULT_DATA)["text"].tolist()[::3] + ["电话13812345678加微信", "a1234567b 你好", "12345678",
                                                               "您的验证码1234567", "加v 15900001111 www.x.cn"]
    for text in texts:
        cleaned = clean(text)
        assert redflags.invitation(text, cleaned) == redflags._detector_hits(redflags.INVITATION, cleaned, text)
