"""Contacts in an ad: phone numbers, WeChat ids, QQ numbers, links and account numbers, normalised.

Found on the cleaned text (full-width digits folded, spaced digits joined, 薇信 / v信 read
as 微信), with the same patterns the model's canonical tokens use, and reported with
spans of the original text.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass

from .normalise import PHONE, QQ, URL, WECHAT, Cleaned, may_match

PHONE_KIND, WECHAT_KIND, QQ_KIND, URL_KIND, ACCOUNT_KIND = "phone", "wechat", "qq", "url", "account"
KIND_NAMES = {PHONE_KIND: "电话", WECHAT_KIND: "微信", QQ_KIND: "QQ", URL_KIND: "链接", ACCOUNT_KIND: "账号"}
# A bank card or account number: 16-19 digits, possibly in groups of four.
# (?<!\d)(?:\d{4}[ -]?){3}\d{4}(?:[ -]?\d{1,3})?(?!\d), written to start with a digit class so that the regex engine
# skips ahead to candidates at C speed; tests/test_normalise.py holds the two equal.
ACCOUNT = re.compile(r"\d(?<!\d\d)\d{3}[ -]?(?:\d{4}[ -]?){2}\d{4}(?:[ -]?\d{1,3})?(?!\d)")
_WECHAT_ID = re.compile(r"[a-z0-9_-]+$")


@dataclass(frozen=True)
class Contact:
    kind: str
    value: str
    start: int
    end: int

    def as_dict(self) -> dict:
        return asdict(self)

    @property
    def label(self) -> str:
        return f"{KIND_NAMES[self.kind]}:{self.value}"


_MASK = re.compile(r"[xX*＊ｘＸ]")


def _phone_value(cleaned: str, original: str) -> str:
    """The number's digits; masked digits stay masked (``*``), so no number is shown that the ad did not give."""
    if _MASK.search(original):
        digits = "".join("*" if _MASK.fullmatch(ch) else ch for ch in unicodedata.normalize("NFKC", original)
                         if ch.isdigit() or _MASK.fullmatch(ch))
    else:
        digits = re.sub(r"\D", "", cleaned)
    return digits[2:] if digits.startswith("86") and len(digits) == 13 else digits


def find_contacts(cleaned: Cleaned, original: str) -> list[Contact]:
    """Every contact in an ad, in order of position, each once."""
    found, taken = [], []

    def add(kind, value, span):
        if any(s < span[1] and span[0] < e for s, e in taken):
            return  # an account number that is also a phone, a QQ inside a link
        taken.append(span)
        start, end = cleaned.original_span(*span)
        found.append(Contact(kind, value, start, end))

    text = cleaned.text
    if may_match(URL, text):
        for m in URL.finditer(text):
            add(URL_KIND, m.group(0).rstrip("./"), m.span())
    if may_match(WECHAT, text):
        for m in WECHAT.finditer(text):
            value = _WECHAT_ID.search(m.group(0))
            if value:
                add(WECHAT_KIND, value.group(0), (m.end() - len(value.group(0)), m.end()))
    if may_match(QQ, text):
        for m in QQ.finditer(text):
            number = re.search(r"\d+$", m.group(0))
            add(QQ_KIND, number.group(0), (m.end() - len(number.group(0)), m.end()))
    if may_match(PHONE, text):  # four digits in a row, which an account number holds too
        for m in PHONE.finditer(text):
            start, end = cleaned.original_span(*m.span())
            add(PHONE_KIND, _phone_value(m.group(0), original[start:end]), m.span())
        for m in ACCOUNT.finditer(text):
            add(ACCOUNT_KIND, re.sub(r"\D", "", m.group(0)), m.span())
    return sorted(found, key=lambda c: c.start)
