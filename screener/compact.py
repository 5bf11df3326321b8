"""A fitted model as plain arrays: vocabularies, idf weights, coefficients and the threshold.

Training saves the scikit-learn pipeline (what ``train.py`` tunes, compares and adapts) and,
beside it, these arrays (``compact.npz``). Scoring reads the arrays: they load in milliseconds,
without scikit-learn and without unpickling anything, and give the pipeline's probabilities
(``tests/test_compact.py`` holds them to 1e-9 on the corpus). The steps mirror the pipeline's:
``read_ad``, word n-grams of the tokenizer's tokens and ``char_wb`` n-grams of the canonical
text, sublinear tf x idf, l2 norm per block, the red-flag block, then the logistic function; the
scheme model's softmax over the same features.
"""
from __future__ import annotations

from dataclasses import dataclass

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
        self.word_vocabulary = {t: i for i, t in enumerate(self.word_terms)}
        self.char_vocabulary = {t: i for i, t in enumerate(self.char_terms)}
        self.word_idf, self.char_idf = np.asarray(arrays["word_idf"]), np.asarray(arrays["char_idf"])
        self.word_ngrams = tuple(int(n) for n in arrays["word_ngrams"])
        self.char_ngrams = tuple(int(n) for n in arrays["char_ngrams"])
        tokenizer = _strings(arrays["tokenizer"])[0]
        if tokenizer not in TOKENIZERS or _strings(arrays["flag_names"]) != list(FEATURE_NAMES):
            raise ModelError("模型是用另一版本的红旗信号或分词器训练的；请用 `python train.py fit` 重新训练")
        self.tokenize = TOKENIZERS[tokenizer]
        self.flag_scale = float(arrays["flag_scale"])
        self.coef, self.intercept = np.asarray(arrays["coef"]), float(arrays["intercept"])
        self.threshold = float(arrays["threshold"])
        self.char_offset = len(self.word_vocabulary)
        self.flag_offset = self.char_offset + len(self.char_vocabulary)
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

    def _word_grams(self, text: str) -> list[str]:
        tokens = self.tokenize(text)
        low, high = self.word_ngrams
        grams = list(tokens) if low == 1 else []
        for n in range(max(low, 2), min(high, len(tokens)) + 1):
            grams += [" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]
        return grams

    def _char_grams(self, text: str) -> list[str]:
        low, high = self.char_ngrams
        grams = []
        for word in text.split():
            word = f" {word} "
            for n in range(low, high + 1):
                if n >= len(word):
                    grams.append(word)  # a word no longer than n counts once, whole
                    break
                grams += [word[i:i + n] for i in range(len(word) - n + 1)]
        return grams

    @staticmethod
    def _count(texts: list[str], grams, vocabulary: dict) -> tuple[list, list, list]:
        """Rows, columns and counts of the vocabulary's n-grams in each text (the pipeline's ``_count_vocab``)."""
        rows, columns, counts = [], [], []
        for row, text in enumerate(texts):
            found: dict[int, int] = {}
            for gram in grams(text):
                try:  # most n-grams are in the vocabulary: indexing beats .get
                    j = vocabulary[gram]
                except KeyError:
                    continue
                if j in found:
                    found[j] += 1
                else:
                    found[j] = 1
            columns += found
            counts += found.values()
            rows += [row] * len(found)
        return rows, columns, counts

    def transform(self, ads: list[Ad]) -> Rows:
        """Feature rows of analysed ads. Python counts the n-grams; the tf-idf arithmetic runs once per batch."""
        n, texts = len(ads), [ad.model_text for ad in ads]
        parts = []
        for grams, vocabulary, idf, offset in ((self._word_grams, self.word_vocabulary, self.word_idf, 0),
                                               (self._char_grams, self.char_vocabulary, self.char_idf,
                                                self.char_offset)):
            rows, columns, counts = (np.array(a, dtype=np.int64) for a in self._count(texts, grams, vocabulary))
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
