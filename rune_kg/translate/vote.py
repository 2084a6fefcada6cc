"""RUNE's selection: parse and validate every sampled candidate, drop the invalid ones (and the
contradictory ones, which no image can satisfy: query.consistency), and
pick the formula most candidates agree on. Candidates agree when their formulas have the same
normal form (equal up to variable names, order and inverse relations), or, given a store, when
they select the same images on it."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import FormulaError
from ..query.consistency import contradiction
from ..query.formula import Formula, canonical, normal_form
from ..query.parse import parse


@dataclass
class Candidate:
    text: str  # what the model wrote
    fol: str | None = None  # the canonical formula, when it parsed and validated
    error: str | None = None  # why it did not
    group: int | None = None  # candidates with the same group agree
    votes: int = 0  # the size of its group


def first_line(text: str) -> str:
    """The formula part of a model's answer: its first non-empty line, without code fences."""
    for line in text.strip().strip("`").splitlines():
        line = line.strip().strip("`").strip()
        if line:
            return line.removeprefix("FOL:").strip()
    return ""


def decided(candidates: list[Candidate], samples: int) -> bool:
    """Whether the samples still to come (of `samples` in all) cannot change the winner: no
    group, nor a new one, can pass the leading group, or tie with it from a later start (ties
    go to the group sampled first)."""
    sizes: dict[int, int] = {}
    for c in candidates:
        if c.group is not None:
            sizes[c.group] = sizes.get(c.group, 0) + 1
    if not sizes:
        return False
    leader = min(sizes, key=lambda g: (-sizes[g], g))
    left = samples - len(candidates)
    challengers = [(g, n + left) for g, n in sizes.items() if g != leader] + [(len(sizes), left)]
    return all(n < sizes[leader] or (n == sizes[leader] and g > leader) for g, n in challengers)


def select(texts: list[str], answers=None) -> tuple[Formula | None, list[Candidate]]:
    """The winning formula (None when no candidate is valid) and every candidate with its vote.
    `answers(formula) -> frozenset` (optional) gives the images a formula selects; candidates
    with equal answers then agree (None: no answer in time; its normal form is its key). Ties
    go to the group sampled first."""
    candidates = [Candidate(text) for text in texts]
    formulas: list[Formula | None] = []
    for c in candidates:
        try:
            f = parse(first_line(c.text))
        except FormulaError as err:
            c.error = str(err)
            formulas.append(None)
            continue
        c.fol = canonical(f)
        reason = contradiction(f)
        if reason:  # valid, but no image can match: it does not say what was asked
            c.error = f"contradictory: {reason}"
        formulas.append(None if reason else f)
    keys: dict[object, int] = {}
    for c, f in zip(candidates, formulas):
        if f is None:
            continue
        key = answers(f) if answers is not None else None
        key = normal_form(f) if key is None else key  # answers() may not tell in time
        c.group = keys.setdefault(key, len(keys))
    sizes = [sum(c.group == g for c in candidates) for g in range(len(keys))]
    for c in candidates:
        c.votes = sizes[c.group] if c.group is not None else 0
    if not keys:
        return None, candidates
    best = max(range(len(keys)), key=lambda g: (sizes[g], -g))
    winner = next(f for c, f in zip(candidates, formulas) if c.group == best)
    return winner, candidates
