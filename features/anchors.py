"""Literal anchors of regular expressions, and one pass that tells which patterns can match a text.

Red flags run three dozen patterns over every ad, and most find nothing in a given ad. The anchors
of a pattern are strings at least one of which every match contains (``加微信`` or ``加v`` for
``加(微信|v)``). One Aho-Corasick scan finds the anchors present in a text, and only the patterns
with an anchor there run. Skipping is exact: a pattern none of whose anchors occurs cannot match.
"""
from __future__ import annotations

import itertools
import re

import ahocorasick

try:  # the regular-expression parser of the standard library (renamed in 3.11)
    from re import _constants as sre_constants, _parser as sre_parse
except ImportError:  # pragma: no cover - Python 3.10
    import sre_constants  # type: ignore[no-redef]
    import sre_parse  # type: ignore[no-redef]

_MAX_STRINGS = 64     # a finite language larger than this is not spelled out
_MAX_CLASS = 16       # nor a character class wider than this
_ZERO_WIDTH = {sre_constants.AT, sre_constants.ASSERT, sre_constants.ASSERT_NOT}
_REPEATS = {sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT}
_GROUPS = {sre_constants.SUBPATTERN}
for _name in ("POSSESSIVE_REPEAT", "ATOMIC_GROUP"):  # Python 3.11
    if hasattr(sre_constants, _name):
        (_REPEATS if _name == "POSSESSIVE_REPEAT" else _GROUPS).add(getattr(sre_constants, _name))


def anchors(pattern: re.Pattern | str) -> frozenset[str] | None:
    """Strings one of which every match of the pattern contains, or None when there are none
    (a pattern that can match without any fixed text, such as ``\\d{7,}``)."""
    pattern = re.compile(pattern)  # the flags written inside the pattern too
    if pattern.flags & re.IGNORECASE:
        return None  # anchors are matched as written
    found = _sequence_anchors(list(sre_parse.parse(pattern.pattern, pattern.flags)))
    return frozenset(found) if found else None


def _through(op, av, of_sequence) -> set[str] | None:
    """``of_sequence`` of a group's inside (None for a group that ignores case, ``(?i:...)``), or the union of it over
    a branch's alternatives (None when one alternative gives None)."""
    if op is not sre_constants.BRANCH:
        return None if op is sre_constants.SUBPATTERN and av[1] & re.IGNORECASE else of_sequence(list(av[-1]))
    out = set()
    for alternative in av[1]:
        found = of_sequence(list(alternative))
        if found is None:
            return None
        out |= found
    return out


def _language(op, av) -> set[str] | None:
    """Every string an item can match (zero-width assertions match ""), when there are few; else None."""
    if op is sre_constants.LITERAL:
        return {chr(av)}
    if op in _ZERO_WIDTH:
        return {""}
    if op is sre_constants.IN:
        chars = set()
        for kind, value in av:
            if kind is sre_constants.LITERAL:
                chars.add(chr(value))
            elif kind is sre_constants.RANGE and value[1] - value[0] < _MAX_CLASS:
                chars.update(map(chr, range(value[0], value[1] + 1)))
            else:
                return None
        return chars if len(chars) <= _MAX_CLASS else None
    if op in _GROUPS or op is sre_constants.BRANCH:
        out = _through(op, av, _sequence_language)
        return out if out is None or len(out) <= _MAX_STRINGS else None
    if op in _REPEATS:
        low, high, item = av
        if high > 3:
            return None
        strings = _sequence_language(list(item))
        if strings is None:
            return None
        out = set()
        for n in range(low, high + 1):
            out |= {"".join(p) for p in itertools.product(strings, repeat=n)}
            if len(out) > _MAX_STRINGS:
                return None
        return out
    return None


def _sequence_language(items) -> set[str] | None:
    out = {""}
    for op, av in items:
        strings = _language(op, av)
        if strings is None:
            return None
        out = {a + b for a in out for b in strings}
        if len(out) > _MAX_STRINGS:
            return None
    return out


def _item_anchors(op, av) -> set[str] | None:
    """Anchors of one item whose language is not spelled out."""
    if op in _GROUPS or op is sre_constants.BRANCH:
        return _through(op, av, _sequence_anchors)
    if op in _REPEATS and av[0] >= 1:
        return _sequence_anchors(list(av[2]))
    return None


def _sequence_anchors(items) -> set[str] | None:
    """The most selective anchor set among the parts a match of the sequence must contain: each maximal
    run of items with a spelled-out language, and each other item's own anchors."""
    candidates, run = [], {""}

    def close_run():
        nonlocal run
        if "" not in run:
            candidates.append(run)
        run = {""}

    for op, av in items:
        strings = _language(op, av)
        if strings is not None:
            joined = {a + b for a in run for b in strings}
            if len(joined) <= _MAX_STRINGS:
                run = joined
                continue
            close_run()
            run = strings
            continue
        close_run()
        found = _item_anchors(op, av)
        if found:
            candidates.append(found)
    close_run()
    if not candidates:
        return None
    return max(candidates, key=lambda c: (min(map(len, c)), -len(c)))


class AnchorGate:
    """Which of several patterns can match a text, from one scan for all their anchors."""

    def __init__(self, patterns):
        self.patterns = tuple(patterns)
        self.always = 0  # bit i: pattern i has no anchors and always runs
        masks: dict[str, int] = {}
        for i, pattern in enumerate(self.patterns):
            found = anchors(pattern)
            if found is None:
                self.always |= 1 << i
                continue
            for anchor in found:
                masks[anchor] = masks.get(anchor, 0) | 1 << i
        self._automaton = ahocorasick.Automaton()
        for anchor, mask in masks.items():
            self._automaton.add_word(anchor, mask)
        if masks:
            self._automaton.make_automaton()
        self._empty = not masks

    def possible(self, text: str) -> int:
        """A bit mask: bit i is set when pattern i may match the text."""
        mask = self.always
        if not self._empty:
            for _, anchor_mask in self._automaton.iter(text):
                mask |= anchor_mask
        return mask
