"""Copies of training texts as exports write them.

Real streams reach inspectors through systems that anonymise and strip what they export: one writes every
number as 8 and drops punctuation (and with it the % of a rate), another deletes digits outright. The corpus is
written with its numbers and punctuation, so a model trained on it alone leans on a rate's size or a
sentence's commas that an export may not carry. Training on one export-format copy of each text, beside the
text itself, teaches it that these formats change nothing.
"""
from __future__ import annotations

import re

import numpy as np

from features.normalise import CJK_RANGE

_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_NOT_WORD = re.compile(f"[^{CJK_RANGE}A-Za-z0-9]+")  # everything but Chinese characters, letters and digits


def masked_run_on(text: str) -> str:
    """Every number written as 8, punctuation, spaces and symbols dropped."""
    return _NOT_WORD.sub("", _NUMBER.sub("8", text))


def digits_dropped(text: str) -> str:
    """Digits deleted, the rest as written."""
    return _NUMBER.sub("", text)


EXPORT_STYLES = (masked_run_on, digits_dropped)
AUGMENTATION_RULE = ("beside each labelled text, one copy in an export style drawn at random: every number as 8 "
                     "with punctuation dropped, or digits deleted")


def export_copies(texts, random_state: int = 0) -> tuple[list[str], np.ndarray]:
    """One copy of each text in an export style drawn at random, and the index of the text each copy is of;
    a text that no style changes gets no copy."""
    rng = np.random.default_rng(random_state)
    styles = rng.integers(0, len(EXPORT_STYLES), len(texts))
    copies, of = [], []
    for i, (text, style) in enumerate(zip(texts, styles)):
        copy = EXPORT_STYLES[style](text)
        if copy != text and copy.strip():
            copies.append(copy)
            of.append(i)
    return copies, np.asarray(of, dtype=np.int64)
