"""Grouping flagged ads into campaigns: one template sent many times, or one contact behind many texts.

Rows arrive in order and each flagged row joins a campaign at once, so the batch output can
carry its campaign id while it streams. Near-identical texts are found with MinHash LSH
(datasketch) over character 4-grams of the canonical text (numbers, phones and links
already reduced to tokens, so a template with changed numbers or contact reads the same);
rows that share a phone, WeChat or QQ contact join the same campaign. Memory grows with
the number of distinct flagged templates, not with the rows screened.
"""
from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

from datasketch import LeanMinHash, MinHash, MinHashLSH

from features.contacts import ACCOUNT_KIND, URL_KIND

from .scoring import HIGH, LOW, MEDIUM, Result

SHINGLE = 4
NUM_PERM = 32
LSH_THRESHOLD = 0.5        # estimated Jaccard of canonical 4-grams at which two texts are one template
LEVEL_ORDER = {HIGH: 2, MEDIUM: 1, LOW: 0}
# Links and account numbers are shared by unrelated senders (short-link services, collection accounts);
# a masked number identifies no one.
GROUPING_CONTACTS = lambda c: c.kind not in (URL_KIND, ACCOUNT_KIND) and "*" not in c.value  # noqa: E731


@dataclass
class Campaign:
    """A lead for the risk ledger."""

    id: str
    rows: list = field(default_factory=list)          # 1-based data rows of the input
    max_score: float = 0.0
    level: str = LOW
    sample: str = ""
    schemes: Counter = field(default_factory=Counter)
    red_flags: Counter = field(default_factory=Counter)
    contacts: dict = field(default_factory=dict)      # label -> first seen, in order
    characteristics: set = field(default_factory=set)
    dates: list = field(default_factory=list)
    sources: Counter = field(default_factory=Counter)
    regions: Counter = field(default_factory=Counter)

    @property
    def count(self) -> int:
        return len(self.rows)

    @property
    def scheme(self) -> str:
        return self.schemes.most_common(1)[0][0] if self.schemes else "other"


def _digest(key: str) -> bytes:
    """Eight bytes stand for a template in the indexes, so memory does not grow with the texts' length."""
    return hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest()


@lru_cache(maxsize=1)
def _hashing() -> dict:
    """The permutations of seed 1, made once: a MinHash makes its own on every construction otherwise."""
    first = MinHash(num_perm=NUM_PERM, seed=1)
    return {"permutations": first.permutations, "scheme": first.scheme}


def template_minhash(key: str, signature=None) -> MinHash | LeanMinHash:
    """The MinHash of a canonical text's character 4-grams (from its hash values when already computed: then
    the lean kind, which LSH reads the same and which needs no permutations built)."""
    if signature is not None:
        return LeanMinHash(seed=1, hashvalues=signature, scheme=_hashing()["scheme"])
    m = MinHash(num_perm=NUM_PERM, seed=1, **_hashing())
    grams = {key[i:i + SHINGLE] for i in range(max(len(key) - SHINGLE + 1, 1))}
    m.update_batch([g.encode("utf-8") for g in grams])
    return m


class CampaignGrouper:
    """Assigns each flagged row to a campaign as rows arrive."""

    def __init__(self, threshold: float = LSH_THRESHOLD):
        self.lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
        self.by_template: dict[bytes, str] = {}
        self.by_contact: dict[str, str] = {}
        self.campaigns: dict[str, Campaign] = {}

    def assign(self, row: int, text: str, result: Result, date=None, source=None, region=None) -> str:
        key = result.template  # what two sends of one template share, computed when the ad was read
        digest = _digest(key)
        campaign_id = self.by_template.get(digest)
        contacts = [c.label for c in result.contacts if GROUPING_CONTACTS(c)]
        if campaign_id is None:
            known = [self.by_contact[c] for c in contacts if c in self.by_contact]
            minhash = template_minhash(key, result.signature)
            similar = [self.by_template[k] for k in self.lsh.query(minhash)]
            matches = known + similar
            campaign_id = min(matches) if matches else f"C{len(self.campaigns) + 1:05d}"
            self.by_template[digest] = campaign_id
            self.lsh.insert(digest, minhash)
        for c in contacts:
            self.by_contact.setdefault(c, campaign_id)
        self._record(self.campaigns.setdefault(campaign_id, Campaign(campaign_id)), row, text, result, date, source,
                     region)
        return campaign_id

    @staticmethod
    def _record(c: Campaign, row, text, result: Result, date, source, region) -> None:
        c.rows.append(row)
        if result.score > c.max_score:
            c.max_score, c.sample = result.score, text
        if LEVEL_ORDER[result.level] > LEVEL_ORDER[c.level]:
            c.level = result.level
        if result.scheme:
            c.schemes[result.scheme] += 1
        for flag in result.red_flags:
            c.red_flags[flag.name] += 1
            c.characteristics.add(flag.characteristic)
        for contact in result.contacts:
            c.contacts.setdefault(contact.label, None)
        if date not in (None, ""):
            c.dates.append(str(date))
        if source not in (None, ""):
            c.sources[str(source)] += 1
        if region not in (None, ""):
            c.regions[str(region)] += 1

    def ordered(self) -> list[Campaign]:
        """Most severe first: level, then highest score, then reach."""
        return sorted(self.campaigns.values(), key=lambda c: (-LEVEL_ORDER[c.level], -c.max_score, -c.count, c.id))
