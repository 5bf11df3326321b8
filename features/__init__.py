"""Screening Chinese ads for illegal-fundraising and elder-fraud risk: the library.

normalise  -> fold disguises, canonical tokens       (normalise.py)
tokenize   -> jieba / rjieba with a domain dictionary (tokenize.py)
red flags  -> rule detectors tied to the law          (redflags.py)
pipeline   -> TF-IDF words + characters + red flags -> logistic regression (pipeline.py)
training, store, scoring, tabular, batch, cases, adapt: what the front ends call.
"""
from .errors import DataError, InputError, ModelError, ScreenerError

__all__ = ["ScreenerError", "InputError", "ModelError", "DataError"]
