"""One pass over an ad: clean it once and find everything the model and the explanation need.

``read_ad`` turns a raw ad into an ``Ad``: the cleaned text with its spans into the original,
the canonical text the vectorizers read, the red-flag hits and the contacts. Every later step
reads that one object, so the hits an inspector is shown are the ones the model weighed, and
nothing is cleaned or matched twice. Nothing here needs scikit-learn, so a single ad is read
without loading it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .contacts import Contact, find_contacts
from .normalise import Cleaned, clean, model_text
from .redflags import Hit, disguised_characters, find_red_flags, invitation, shown_red_flags, warning_context


@dataclass
class Ad:
    """One ad as the pipeline sees it."""

    original: str
    cleaned: Cleaned
    model_text: str
    red_flags: list[Hit]
    warnings: list[Hit]
    invitations: list[Hit]
    contacts: list[Contact]
    red_flags_omitted: int = 0   # repeated or surplus hits not shown (see redflags.shown_red_flags)
    disguised: list[Hit] = field(default_factory=list)  # rare look-alike characters, when there are several


def read_ad(text: str) -> Ad:
    """Clean an ad once and find everything the model and the explanation need."""
    text = str(text)
    cleaned = clean(text)
    red_flags, omitted = shown_red_flags(find_red_flags(text, cleaned))
    return Ad(text, cleaned, model_text(cleaned.text), red_flags, warning_context(text, cleaned),
              invitation(text, cleaned), find_contacts(cleaned, text), omitted,
              disguised_characters(text, cleaned))
