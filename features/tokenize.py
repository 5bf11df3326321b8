"""Word tokens for the model: jieba's dictionary and algorithm plus our domain words.

Both tokenizers are module-level functions so a saved pipeline refers to them by
name and loads in any script. Each builds its dictionary once per process.
"""
from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

USER_DICT = Path(__file__).with_name("userdict.txt")


def user_words():
    """(word, frequency or None) of each entry of the domain dictionary."""
    for line in USER_DICT.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if parts:
            yield parts[0], int(parts[1]) if len(parts) > 1 else None


@lru_cache(maxsize=1)
def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    tokenizer.load_userdict(str(USER_DICT))
    return tokenizer


@lru_cache(maxsize=1)
def _rjieba():
    """rjieba's own tokenizer with the domain words added: importing rjieba builds it, and a second one would
    load the dictionary again (a tenth of a second of every start)."""
    import rjieba

    for word, freq in user_words():
        rjieba.add_word(word, freq, None)
    return rjieba


def jieba_tokens(text: str) -> list[str]:
    """Tokens of a normalised text, cut by jieba (Python)."""
    return [t for t in _jieba().lcut(text) if not t.isspace()]


def rjieba_tokens(text: str) -> list[str]:
    """Tokens of a normalised text, cut by rjieba (jieba's algorithm in Rust)."""
    return [t for t in _rjieba().cut(text) if not t.isspace()]


TOKENIZERS = {"jieba": jieba_tokens, "rjieba": rjieba_tokens}
