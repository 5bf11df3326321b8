"""A fitted model as plain arrays: vocabularies, idf weights, coefficients and the threshold.

Training saves the scikit-learn pipeline (what ``train.py`` tunes, compares and adapts) and,
beside it, these arrays (``compact.npz``). Scoring reads the arrays: they load in milliseconds,
without scikit-learn and without unpickling anything, and give the pipeline's probabilities
(``tests/test_compact.py`` holds them to 1e-9 on the corpus). The steps mirror the pipeline's:
``read_ad``, word n-grams of the tokenizer's tokens and ``char_wb`` n-grams of the canonical
text, sublinear tf x idf, l2 norm per block, the red-flag block, then the linear model's logistic function; the
scheme model's softmax over the same features.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from operator import methodcaller

import numpy as np

from features.ad import Ad, read_ad
from features.redflags import FEATURE_NAMES, flag_indices
from features.tokenize import TOKENIZERS

from .errors import ModelError

COMPACT_PART = "compact"


def _blob(strings) -> np.ndarray:
    """Strings as one UTF-8 array (no pickled objects in the file); none may hold a newline."""
    return np.frombuffer("\n".join(strings).encode("utf-8"), dtype=np.uint8)


def _strings(blob: np.ndarray) -> list[str]:
    text = blob.tobytes().decode("utf-8")
    return text.split("\n") if text else []


def compile_model(model, schemes=None) -> dict[str, np.ndarray]:
    """The arrays of a fitted ``FixedThresholdClassifier`` around ``features.pipeline``'s pipeline, and of the
    optional scheme classifier over the same features."""
    pipeline = model.estimator
    blocks = dict(pipeline.named_steps["features"].transformer_list)
    words, chars, flags = blocks["tfidf"], blocks["chars"], blocks["red_flags"]
    tokenizer = next((name for name, f in TOKENIZERS.items() if f is words.tokenizer), None)
    if (tokenizer is None or words.analyzer != "word" or chars.analyzer != "char_wb"
            or not (words.sublinear_tf and chars.sublinear_tf) or words.norm != "l2" or chars.norm != "l2"
            or words.lowercase or chars.lowercase or words.stop_words or chars.stop_words):
        raise ModelError("模型的特征设置与本程序的评分方式不符；请用 `python train.py fit` 重新训练")
    clf = pipeline.named_steps["clf"]
    arrays = {
        "word_terms": _blob(words.get_feature_names_out()), "word_idf": words.idf_,
        "char_terms": _blob(chars.get_feature_names_out()), "char_idf": chars.idf_,
        "word_ngrams": np.array(words.ngram_range), "char_ngrams": np.array(chars.ngram_range),
        "tokenizer": _blob([tokenizer]), "flag_names": _blob(FEATURE_NAMES), "flag_scale": np.array(flags.scale),
        "coef": clf.coef_.ravel().astype(np.float64), "intercept": np.array(float(clf.intercept_[0])),
        "threshold": np.array(float(model.threshold)),
    }
    if schemes is not None:
        arrays |= {"scheme_coef": schemes.coef_.astype(np.float32), "scheme_intercept": schemes.intercept_,
                   "scheme_classes": _blob(map(str, schemes.classes_))}
    return arrays


_REQUIRED = {"word_terms", "word_idf", "char_terms", "char_idf", "word_ngrams", "char_ngrams", "tokenizer",
             "flag_names", "flag_scale", "coef", "intercept", "threshold"}


class _Lookup:
    """Integer keys of a vocabulary's n-grams, sorted, with the column of each."""

    def __init__(self, keys: np.ndarray):
        self.order = np.argsort(keys, kind="stable")
        self.keys = keys[self.order]
        if len(self.keys) > 1 and (self.keys[1:] == self.keys[:-1]).any():
            raise ModelError("模型词表中有重复的词；请用 `python train.py fit` 重新训练")
        self._hashed = None

    def count(self, rows: np.ndarray, keys: np.ndarray, n_columns: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(rows, columns, counts) of the keys found in the vocabulary, sorted by row then column."""
        if not len(self.keys):
            return (np.zeros(0, dtype=np.int64),) * 3
        # Batch work has pandas loaded: its hash index finds a million keys without sorting them first (a third of
        # the time). One ad is scored without importing pandas, by binary search.
        rows, at = self.find_by_hash(rows, keys) if "pandas" in sys.modules else self.find_by_search(rows, keys)
        cells, counts = np.unique(rows * n_columns + self.order[at], return_counts=True)
        return cells // n_columns, cells % n_columns, counts

    def find_by_search(self, rows: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The rows of the keys found and their places in the sorted keys, by binary search."""
        by_key = np.argsort(keys)  # sorted needles make the binary searches cache-friendly: 3x faster
        keys, rows = keys[by_key], rows[by_key]
        at = np.searchsorted(self.keys, keys)
        at[at == len(self.keys)] = 0
        found = self.keys[at] == keys
        return rows[found], at[found]

    def find_by_hash(self, rows: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``find_by_search`` through a hash index of the sorted keys (pandas')."""
        if self._hashed is None:
            import pandas as pd

            self._hashed = pd.Index(self.keys)
        at = self._hashed.get_indexer(keys)
        found = at >= 0
        return rows[found], at[found]


class CharGrams:
    """The ``char_wb`` n-grams of a batch, counted in numpy.

    A gram of up to three characters is one exact integer (code point + 1 in 21 bits per character), so a
    window of the batch's code points maps to a key with shifts and ors, and to its column by a binary search.
    Every window inside a space-padded word is a gram: that is what ``char_wb`` counts when the shortest
    padded word (three characters) is at least the lowest n.
    """

    BITS = 21

    def __init__(self, terms: list[str], ngrams: tuple[int, int]):
        low, high = ngrams
        if not 1 <= low <= 3 or high > 3:
            raise ModelError("字符 n-gram 的长度超出本程序支持的 1-3；请用 `python train.py fit` 重新训练")
        self.low, self.high, self.n_columns = low, high, len(terms)
        lengths = np.fromiter(map(len, terms), dtype=np.int64, count=len(terms))
        self.lookup = _Lookup(_spelled_keys(_code_points("".join(terms)), lengths, 1 << self.BITS))

    def count(self, texts: list[str]):
        # Each text as its space-padded words, each word ended by a newline (never inside a split word).
        padded = [" " + " \n ".join(words) + " \n" if words else "" for words in map(str.split, texts)]
        codes = _code_points("".join(padded))
        if not len(codes):
            return (np.zeros(0, dtype=np.int64),) * 3
        row_of = np.repeat(np.arange(len(texts), dtype=np.int64),
                           np.fromiter(map(len, padded), dtype=np.int64, count=len(padded)))
        inside = codes != ord("\n") + 1
        all_rows, all_keys = [], []
        keys, valid = np.zeros(len(codes), dtype=np.int64), np.ones(len(codes), dtype=bool)
        for n in range(1, self.high + 1):
            keys = (keys[:len(codes) - n + 1] << self.BITS) | codes[n - 1:]
            valid = valid[:len(codes) - n + 1] & inside[n - 1:]
            if n >= self.low:
                all_rows.append(row_of[:len(keys)][valid])
                all_keys.append(keys[valid])
        return self.lookup.count(np.concatenate(all_rows), np.concatenate(all_keys), self.n_columns)


class WordGrams:
    """Word n-grams of the tokenizer's tokens, counted in numpy: tokens become ids through one dictionary
    lookup each, and an n-gram is the number its ids spell in base (number of tokens + 1)."""

    def __init__(self, terms: list[str], ngrams: tuple[int, int], tokenize):
        self.low, self.high, self.tokenize, self.n_columns = ngrams[0], ngrams[1], tokenize, len(terms)
        # A term is its tokens joined by single spaces, and no token holds a space: one split of all the terms gives
        # every token in order, and a term's spaces give its length (a split per term took a start 0.04 s).
        tokens = " ".join(terms).split(" ") if terms else []
        self.token_ids = {token: i for i, token in enumerate(dict.fromkeys(tokens), start=1)}  # 0: in no term
        self.base = len(self.token_ids) + 1
        if self.base ** self.high >= 2 ** 63:
            raise ModelError("词 n-gram 过长，超出本程序的评分方式；请用 `python train.py fit` 重新训练")
        lengths = np.fromiter(map(methodcaller("count", " "), terms), dtype=np.int64, count=len(terms)) + 1
        ids = np.fromiter(map(self.token_ids.__getitem__, tokens), dtype=np.int64, count=len(tokens))
        self.lookup = _Lookup(_spelled_keys(ids, lengths, self.base))

    def count(self, texts: list[str]):
        ids, rows, get = [], [], self.token_ids.get
        for row, text in enumerate(texts):
            tokens = self.tokenize(text)
            ids += [get(t, 0) for t in tokens]
            rows += [row] * len(tokens)
        ids, rows = np.asarray(ids, dtype=np.int64), np.asarray(rows, dtype=np.int64)
        all_rows, all_keys = [], []
        keys, valid = np.zeros(len(ids), dtype=np.int64), np.ones(len(ids), dtype=bool)
        for n in range(1, self.high + 1):
            m = len(ids) - n + 1
            if m <= 0:
                break
            keys = keys[:m] * self.base + ids[n - 1:]
            valid = valid[:m] & (ids[n - 1:] > 0) & (rows[n - 1:] == rows[:m])
            if n >= self.low:
                all_rows.append(rows[:m][valid])
                all_keys.append(keys[valid])
        if not all_keys:
            return (np.zeros(0, dtype=np.int64),) * 3
        return self.lookup.count(np.concatenate(all_rows), np.concatenate(all_keys), self.n_columns)


def _spelled_keys(values: np.ndarray, lengths: np.ndarray, base: int) -> np.ndarray:
    """The key of each term, whose ``lengths[t]`` values follow one another in ``values``: the number they spell
    in ``base`` (the same number the counting windows build)."""
    starts = np.cumsum(lengths) - lengths
    keys = np.zeros(len(lengths), dtype=np.int64)
    for k in range(int(lengths.max(initial=0))):
        longer = lengths > k
        keys[longer] = keys[longer] * base + values[starts[longer] + k]
    return keys


def _code_points(text: str) -> np.ndarray:
    """Code point + 1 of each character (so no character is zero)."""
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.int64) + 1


@dataclass
class Rows:
    """Feature rows of several ads in CSR layout: row i holds ``indices[indptr[i]:indptr[i+1]]``."""

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray


class CompactModel:
    """Scores, scheme probabilities and feature names from the arrays ``compile_model`` makes."""

    def __init__(self, arrays):
        missing = sorted(_REQUIRED - set(arrays))
        if missing:
            raise ModelError(f"模型的 {COMPACT_PART}.npz 缺少 {', '.join(missing)}；请用 `python train.py fit` 重新训练")
        self.word_terms, self.char_terms = _strings(arrays["word_terms"]), _strings(arrays["char_terms"])
        self.word_idf, self.char_idf = np.asarray(arrays["word_idf"]), np.asarray(arrays["char_idf"])
        self.word_ngrams = tuple(int(n) for n in arrays["word_ngrams"])
        self.char_ngrams = tuple(int(n) for n in arrays["char_ngrams"])
        tokenizer = _strings(arrays["tokenizer"])[0]
        if tokenizer not in TOKENIZERS or _strings(arrays["flag_names"]) != list(FEATURE_NAMES):
            raise ModelError("模型是用另一版本的红旗信号或分词器训练的；请用 `python train.py fit` 重新训练")
        self.words = WordGrams(self.word_terms, self.word_ngrams, TOKENIZERS[tokenizer])
        self.chars = CharGrams(self.char_terms, self.char_ngrams)
        self.flag_scale = float(arrays["flag_scale"])
        self.coef, self.intercept = np.asarray(arrays["coef"]), float(arrays["intercept"])
        self.threshold = float(arrays["threshold"])
        self.char_offset = len(self.word_terms)
        self.flag_offset = self.char_offset + len(self.char_terms)
        if len(self.coef) != self.flag_offset + len(FEATURE_NAMES):
            raise ModelError("模型文件不完整（系数与词表的大小不符）；请用 `python train.py fit` 重新训练")
        self.scheme_coef = arrays["scheme_coef"] if "scheme_coef" in arrays else None
        self.scheme_intercept = arrays["scheme_intercept"] if "scheme_intercept" in arrays else None
        self.scheme_classes = _strings(arrays["scheme_classes"]) if "scheme_classes" in arrays else []

    # --- features ----------------------------------------------------------------------------
    def feature_name(self, j: int) -> str:
        """Feature j in the pipeline's ``get_feature_names_out`` form (``tfidf__``, ``chars__``, ``red_flags__``)."""
        if j < self.char_offset:
            return f"tfidf__{self.word_terms[j]}"
        if j < self.flag_offset:
            return f"chars__{self.char_terms[j - self.char_offset]}"
        return f"red_flags__{FEATURE_NAMES[j - self.flag_offset]}"

    def transform(self, ads: list[Ad]) -> Rows:
        """Feature rows of analysed ads; the n-grams of the whole batch are counted and weighed at once."""
        n, texts = len(ads), [ad.model_text for ad in ads]
        parts = []
        for grams, idf, offset in ((self.words, self.word_idf, 0), (self.chars, self.char_idf, self.char_offset)):
            rows, columns, counts = grams.count(texts)
            values = (1.0 + np.log(counts)) * idf[columns]
            norms = np.sqrt(np.bincount(rows, weights=values * values, minlength=n))
            parts.append((rows, columns + offset, values / norms[rows] if len(rows) else values))
        flags = [flag_indices(ad.red_flags, ad.warnings, ad.invitations, ad.disguised) for ad in ads]
        parts.append((np.repeat(np.arange(n, dtype=np.int64), [len(f) for f in flags]),
                      np.array([self.flag_offset + j for f in flags for j in f], dtype=np.int64),
                      np.full(sum(map(len, flags)), self.flag_scale)))
        rows, columns, values = (np.concatenate(a) for a in zip(*parts))
        order = np.argsort(rows, kind="stable")  # merges three runs already in row order: words, chars, flags
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
        return Rows(indptr, columns[order], values[order])

    # --- probabilities -----------------------------------------------------------------------
    def proba(self, X: Rows) -> np.ndarray:
        """P(suspicious) per row, as the pipeline's ``predict_proba(...)[:, 1]``."""
        rows = np.repeat(np.arange(len(X.indptr) - 1), np.diff(X.indptr))
        decision = np.bincount(rows, weights=X.data * self.coef[X.indices], minlength=len(X.indptr) - 1)
        return 1.0 / (1.0 + np.exp(-(decision + self.intercept)))

    def scores(self, texts) -> np.ndarray:
        return self.proba(self.transform([read_ad(t) for t in texts]))

    def scheme_proba(self, X: Rows, row: int) -> np.ndarray:
        """The scheme classifier's probabilities (in ``scheme_classes`` order) for one row."""
        lo, hi = X.indptr[row], X.indptr[row + 1]
        logits = self.scheme_coef[:, X.indices[lo:hi]].astype(np.float64) @ X.data[lo:hi] + self.scheme_intercept
        exp = np.exp(logits - logits.max())
        return exp / exp.sum()
