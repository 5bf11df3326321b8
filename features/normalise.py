"""Undo the disguises ads use and give the model a canonical text.

Two layers:

* ``clean(text)`` folds width, case and traditional characters, reads masked digits
  (x, *) as digits, drops zero-width characters and the spaces or symbols put between
  Chinese characters or single letters, joins characters written in two parts, restores
  look-alike and homophone characters (``variants``), and spells the usual disguises of key
  words the usual way. It keeps, for every character, the
  span of the original text it came from, so red flags can point at the ad as
  the inspector pasted it.
* ``model_text(cleaned)`` replaces contacts, links, percentages and other numbers
  with canonical tokens, so the model learns "a phone number" and "a rate of more
  than 20%", not one sender's number.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import opencc

from .variants import has_rare_character, look_alikes, restore, split_characters

# The one definition of "a Chinese character" in the project: CJK Unified Ideographs and Extension A.
CJK_RANGE = "\u3400-\u4dbf\u4e00-\u9fff"
HAS_CJK = re.compile(f"[{CJK_RANGE}]")
LONE_SURROGATE = re.compile("[\ud800-\udfff]")  # half of a character: no encoding can write it
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\ufeff\u00ad\u180e\ufe0f\ufe0e"), None)

_SEPARATOR = r"[ ·/|*~_\-.,、+=#^]"
# Spaces, punctuation, emoji and other symbols wedged between two Chinese characters.
# Written to start with a character class rather than the look-behind, so the regex engine skips ahead to
# candidates at C speed: the same matches as (?<=[CJK])[^CJKa-z0-9]{1,6}(?=[CJK]).
_BETWEEN_CJK = re.compile(rf"[^{CJK_RANGE}a-z0-9](?<=[{CJK_RANGE}][^{CJK_RANGE}a-z0-9])[^{CJK_RANGE}a-z0-9]{{0,5}}"
                          rf"(?=[{CJK_RANGE}])")
_SPACES = re.compile(r"\s+")
_SPACES_TO_FOLD = re.compile(r"(?: (?=\s)|[^\S ])\s*")  # the runs _SPACES.sub(" ") changes: not one plain space
# A symbol or space after every character (保·本·保·息, 1 3 9 ..., 年 化 0 . 5 %): the separators of such a
# run go. Inside the run any character may be written, a space too (a word gap spaced out reads "a   b").
_INTERLEAVED = re.compile(rf"(?:[^\s]{_SEPARATOR}| {_SEPARATOR}){{4,}}[{CJK_RANGE}a-z0-9%]")
# What every such run holds: four separators one character apart. Cheap to scan for, as it starts with a class.
_MAY_INTERLEAVE = re.compile(rf"{_SEPARATOR}(?:[^\s]| ){_SEPARATOR}(?:[^\s]| ){_SEPARATOR}(?:[^\s]| ){_SEPARATOR}")
# Digits masked by an export or a sender (1xxxxxxxxxx, 188****6621, 年收益x%, 月息*分): read as the digit 8.
# A run of five or more (a phone or an amount masked whole) stands alone; a shorter one needs a unit after it.
_MASKED = re.compile(r"(?<![a-z*])(?:(?<![0-9-])(?=[0-9-]*[x*])[0-9x*]{3,4}(?:-[0-9x*]{3,4})?-[0-9x*]{4,8}(?![0-9x*-])"
                     r"|[0-9]+[x*]+[0-9x*]*|[x*]+[0-9][0-9x*]*|[x*]{5,}"
                     r"|[x*]{1,12}(?:\.[x*0-9]+)?(?=[%万千百亿元分厘倍年月天日个期号点岁]))(?![a-z])")
# Single letters or digits spaced apart (v x, 1 3 8 0 0): one token again.
_SPACED_ALNUM = re.compile(r"(?<![a-z0-9])[a-z0-9](?: [a-z0-9])+(?![a-z0-9])")
_MAY_BE_SPACED = re.compile(r"[a-z0-9] [a-z0-9]")  # in every such run; starts with a class, so scans fast

# Disguised spellings seen in ads, written the usual way. Latin parts only match
# as whole words so that ordinary English is left alone.
_DISGUISES = {
    "微信": ["薇信", "威信", "徽信", "微芯", "维信", "卫信", "危信", "v信", "vx", "wx", "weixin", "wei信", "微xin"],
    "加微信": ["加v", "+v", "加vx", "jia微", "jia v"],
    "qq": ["扣扣", "企鹅号", "q q"],
    "股票": ["股漂", "股飘", "gu票", "股piao"],
    "理财": ["理才", "li财", "理cai"],
    "收益": ["收溢", "收义", "shou益", "收yi"],
    "返利": ["返莉", "反利", "fan利", "返li"],
    "保本": ["bao本", "保ben", "baoben"],
    "保息": ["保xi", "bao息"],
    "利息": ["利xi", "li息"],
    "投资": ["tou资", "头资", "投zi"],
    "养老": ["yang老", "养lao"],
    "稳赚": ["wen赚", "稳zhuan", "吻赚"],
    "分红": ["分hong", "fen红"],
    "回报": ["hui报", "回bao"],
    "贷款": ["dai款", "贷kuan", "代款"],
    "征信": ["zheng信", "征xin"],
}
_DISGUISE_TO_WORD = {d: word for word, ds in _DISGUISES.items() for d in ds}


def _disguise_patterns() -> tuple[re.Pattern, re.Pattern]:
    """Disguises that start with a Chinese character, then those that start with a letter or '+'.

    A look-behind in front of an alternative stops the regex engine from skipping ahead to the
    possible first characters (several times slower); so a Latin disguise checks the character
    before it after its own first character (``v(?<![a-z]v)x``), and the two kinds are two patterns.
    """
    chinese, latin = [], []
    for d in sorted(_DISGUISE_TO_WORD, key=len, reverse=True):
        p = re.escape(d)
        starts_latin = bool(re.match(r"[a-z+]", d))
        if starts_latin:
            first = re.escape(d[0])
            p = f"{first}(?<![a-z]{first})" + re.escape(d[1:])
        if re.search(r"[a-z]$", d):
            p = p + r"(?![a-z])"
        (latin if starts_latin else chinese).append(p)
    return re.compile("|".join(chinese)), re.compile("|".join(latin))


_DISGUISE_CHINESE, _DISGUISE_LATIN = _disguise_patterns()
_HAS_LATIN = re.compile(r"[a-z+]")


@dataclass(frozen=True)
class Cleaned:
    """A cleaned text and, per character, the original span it came from."""

    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]
    # Spans in the original of rare characters that look like a common one (before they were restored), and of
    # characters written in two parts (both parts), in order.
    look_alikes: tuple[tuple[int, int], ...] = ()

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a span of the cleaned text back to the original text."""
        if end <= start:
            pos = self.starts[start] if start < len(self.starts) else (self.ends[-1] if self.ends else 0)
            return pos, pos
        return self.starts[start], self.ends[end - 1]


def _sub(pattern: re.Pattern, repl, text: str, starts: list, ends: list):
    """re.sub that carries the original spans along: a replacement of another length spans the whole match."""
    pieces, edits, pos = [], [], 0
    for m in pattern.finditer(text):
        s, e = m.span()
        r = repl(m) if callable(repl) else repl
        pieces.append(text[pos:s])
        pieces.append(r)
        if len(r) != e - s:
            edits.append((s, e, len(r)))
        pos = e
    if not pieces:
        return text, starts, ends
    pieces.append(text[pos:])
    return "".join(pieces), *_respan(starts, ends, edits)


def _respan(starts: list, ends: list, edits: list) -> tuple[list, list]:
    """The spans after replacing text[s:e] by n characters for each (s, e, n) of edits, in order: the new
    characters span the whole text they replaced."""
    if edits:  # spliced from the end, so the offsets of earlier edits still hold
        starts, ends = list(starts), list(ends)
        for s, e, n in reversed(edits):
            starts[s:e] = [starts[s]] * n
            ends[s:e] = [ends[e - 1]] * n
    return starts, ends


def _join_split_characters(text: str, starts: list, ends: list):
    """Characters written in two parts (阝艮) as one again, spanning both; and where they are now."""
    joined = split_characters(text)
    if not joined:
        return text, starts, ends, []
    pieces, pos = [], 0
    for i, ch in joined:
        pieces += (text[pos:i], ch)
        pos = i + 2
    pieces.append(text[pos:])
    starts, ends = _respan(starts, ends, [(i, i + 2, 1) for i, _ in joined])
    return "".join(pieces), starts, ends, [i - k for k, (i, _) in enumerate(joined)]  # each join moves the rest


def _drop(pattern: re.Pattern, text: str, starts: list, ends: list):
    """Delete every match, with the spans of the characters deleted."""
    edits = [(*m.span(), 0) for m in pattern.finditer(text)]
    if not edits:
        return text, starts, ends
    return pattern.sub("", text), *_respan(starts, ends, edits)


def _keep(pattern: re.Pattern, kept, text: str, starts: list, ends: list):
    """Drop characters inside each match, keeping those at the offsets ``kept(match)`` gives, with their spans."""
    if pattern.search(text) is None:
        return text, starts, ends
    drop = set()
    for m in pattern.finditer(text):
        keep = {m.start() + k for k in kept(m)}
        drop.update(i for i in range(m.start(), m.end()) if i not in keep)
    idx = [i for i in range(len(text)) if i not in drop]
    return "".join(text[i] for i in idx), [starts[i] for i in idx], [ends[i] for i in idx]


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def _fold_chars(text: str, fold) -> tuple[str, list, list]:
    """A fold applied character by character, with the span of each output character."""
    out, starts, ends = [], [], []
    for i, ch in enumerate(text):
        f = fold(ch)
        out.append(f)
        starts.extend([i] * len(f))
        ends.extend([i + 1] * len(f))
    return "".join(out), starts, ends


def _fold_stage(text: str, fold, starts: list | None, ends: list | None):
    """Apply a fold to the whole text, per character when that changes the length; spans follow (None: each
    character is its own span, the common case, kept without building lists)."""
    whole = fold(text)
    if len(whole) == len(text):
        return whole, starts, ends
    out, inner_starts, inner_ends = _fold_chars(text, fold)
    if starts is None:
        return out, inner_starts, inner_ends
    return out, [starts[i] for i in inner_starts], [ends[j - 1] for j in inner_ends]


def _nfkc_lower(text: str) -> str:
    if not unicodedata.is_normalized("NFKC", text):  # the quick check is much cheaper than normalising
        text = unicodedata.normalize("NFKC", text)
    return text.lower()


_HAS_ZERO_WIDTH = re.compile("[" + "".join(map(chr, _ZERO_WIDTH)) + "]")


def _drop_zero_width(text: str) -> str:
    return text.translate(_ZERO_WIDTH) if _HAS_ZERO_WIDTH.search(text) else text


def clean(text: str) -> Cleaned:
    """Fold an ad to the form the red flags and the model read."""
    simplified, starts, ends = _fold_stage(text, _drop_zero_width, None, None)
    simplified, starts, ends = _fold_stage(simplified, _nfkc_lower, starts, ends)
    simplified, starts, ends = _fold_stage(simplified, _t2s().convert, starts, ends)
    if starts is None:
        starts, ends = list(range(len(simplified))), list(range(1, len(simplified) + 1))
    text2 = simplified
    if _MAY_INTERLEAVE.search(text2):
        text2, starts, ends = _keep(_INTERLEAVED, lambda m: range(0, len(m.group(0)), 2), text2, starts, ends)
    if "x" in text2 or "*" in text2:  # every masked number holds one
        text2, starts, ends = _sub(_MASKED, lambda m: re.sub(r"[x*]", "8", m.group(0)), text2, starts, ends)
    text2, starts, ends = _drop(_BETWEEN_CJK, text2, starts, ends)
    if _MAY_BE_SPACED.search(text2):
        text2, starts, ends = _keep(_SPACED_ALNUM, lambda m: range(0, len(m.group(0)), 2), text2, starts, ends)
    rare, joined = {}, []
    if has_rare_character(text2):  # in few ads: a character written in parts, or a look-alike
        text2, starts, ends, joined = _join_split_characters(text2, starts, ends)
        rare = look_alikes(text2)
    disguised = tuple((starts[i], ends[i]) for i in sorted([*joined, *rare]))
    text2 = restore(text2, rare)  # look-alike and homophone characters; keeps the length, so the spans hold
    text2, starts, ends = _sub(_DISGUISE_CHINESE, lambda m: _DISGUISE_TO_WORD[m.group(0)], text2, starts, ends)
    if _HAS_LATIN.search(text2):
        text2, starts, ends = _sub(_DISGUISE_LATIN, lambda m: _DISGUISE_TO_WORD[m.group(0)], text2, starts, ends)
    text2, starts, ends = _sub(_SPACES_TO_FOLD, " ", text2, starts, ends)
    # strip leading/trailing space
    lo, hi = 0, len(text2)
    while lo < hi and text2[lo] == " ":
        lo += 1
    while hi > lo and text2[hi - 1] == " ":
        hi -= 1
    return Cleaned(text2[lo:hi], tuple(starts[lo:hi]), tuple(ends[lo:hi]), disguised)


# Canonical tokens are plain lower-case words so jieba keeps each as one token.
URL = re.compile(r"(?:https?://|www\.)[a-z0-9./?=&_%#:~+-]+|\b[a-z0-9-]+\.(?:cn|com|net|cc|me|ly|top|vip|xyz|io|org|co)\b(?:/[a-z0-9./?=&_%#~+-]*)?")
# A phone number not inside a longer number. Each alternative starts with its first digit as a literal and
# checks the character before it just after, so the regex engine skips ahead to candidates at C speed (a leading
# look-behind would have it try every position): the same matches as
# (?<!\d)(?:(?:\+?86[- ]?)?1[3-9]\d...|0\d{2,3}...|[48]00...|8{3}...)(?!\d), which tests/test_normalise.py checks.
PHONE = re.compile(
    r"(?:\+(?<!\d.)86[- ]?1[3-9]\d[- ]?\d{4}[- ]?\d{4}|8(?<!\d.)6[- ]?1[3-9]\d[- ]?\d{4}[- ]?\d{4}"  # mobile, +86
    r"|1(?<!\d.)[3-9]\d[- ]?\d{4}[- ]?\d{4}"  # mobile
    r"|0(?<!\d.)\d{2,3}[- ]?\d{7,8}"  # landline with area code
    r"|4(?<!\d.)00[- ]?\d{3}[- ]?\d{4}|8(?<!\d.)00[- ]?\d{3}[- ]?\d{4}"  # 400/800 hotline
    # Masked whole (each masked digit reads as 8): the shapes of a mobile, a landline and a hotline.
    r"|8(?<!\d.)88[- ]?8{4}[- ]?8{4}|8(?<!\d.)888?-8{7,8}|8(?<!\d.)88-8{3}-8{4})(?!\d)"
)
WECHAT = re.compile(r"(微信|加微信)(?:号|id)?[:： ]*(?=[a-z0-9_-]{5,20}\b)[a-z0-9_-]*[a-z][a-z0-9_-]*")
QQ = re.compile(r"qq(?:号|群)?[:： ]*\d{5,11}(?!\d)")
FOUR_DIGITS = re.compile(r"\d{4}")  # in every phone number PHONE reads, masked ones included
_PERCENT = re.compile(r"(\d+(?:\.\d+)?) ?[%％]")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_SYMBOLS = re.compile(rf"[^{CJK_RANGE}a-z0-9 ]+")

# What every match of a pattern holds, checked before it runs: most ads have no link, WeChat id, QQ or rate.
_HOLDS = {URL: lambda t: "." in t or "://" in t, PHONE: FOUR_DIGITS.search, WECHAT: lambda t: "微信" in t,
          QQ: lambda t: "qq" in t, _PERCENT: lambda t: "%" in t or "％" in t}


def may_match(pattern: re.Pattern, text: str) -> bool:
    """False only when the text lacks what every match of the pattern holds (for URL, PHONE, WECHAT, QQ, rates)."""
    return bool(_HOLDS[pattern](text))


# Buckets of a stated percentage: deposit-like, fund-like, high, very high, absurd.
PERCENT_BUCKETS = ((3.0, "xxpcta"), (6.0, "xxpctb"), (10.0, "xxpctc"), (20.0, "xxpctd"), (float("inf"), "xxpcte"))


def percent_bucket(value: float) -> str:
    for upper, token in PERCENT_BUCKETS:
        if value <= upper:
            return token
    return PERCENT_BUCKETS[-1][1]


def model_text(cleaned: str) -> str:
    """Canonical tokens for contacts, links and numbers in an already cleaned text."""
    t = cleaned
    if may_match(URL, t):
        t = URL.sub(" xxurl ", t)
    if may_match(PHONE, t):
        t = PHONE.sub(" xxphone ", t)
    if may_match(WECHAT, t):
        t = WECHAT.sub(lambda m: f"{m.group(1)} xxwechat ", t)
    if may_match(QQ, t):
        t = QQ.sub(" qq xxqq ", t)
    if may_match(_PERCENT, t):
        t = _PERCENT.sub(lambda m: f" {percent_bucket(float(m.group(1)))} ", t)
    t = _NUMBER.sub("0", t)
    t = _SYMBOLS.sub(" ", t)
    return _SPACES.sub(" ", t).strip()


def normalise(text: str) -> str:
    """The text the model reads: ``model_text(clean(text).text)``."""
    return model_text(clean(text).text)
