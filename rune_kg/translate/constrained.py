"""Decoding constrained to the formula grammar, for the LLM backends that run in this process
(llama-cpp, transformers). At each step a token is drawn from the model's distribution over its TOP
likeliest tokens and kept only if the text stays a viable formula prefix (query.parse.viable);
otherwise it is ruled out and another is drawn. That is rejection sampling: it draws from the
model's distribution restricted to the tokens the grammar allows. The end of the text is kept
only once the formula is complete, so every sample parses and validates against the ontology.

Checking all of a 49k-token vocabulary at every step costs seconds a step (llama.cpp's GBNF
sampling did: 0.1-1 s a token); one check costs under a millisecond and most steps keep their
first draw.
"""

from __future__ import annotations

import re
from functools import cache

import numpy as np

from ..query.parse import KEYWORDS, class_names, relation_names, viable

TOP = 256  # the likeliest tokens a step draws from (beyond them the model's mass is negligible)
DRAWS = 32  # draws before those tokens are checked in order instead
_ALPHABET = re.compile(r"^[a-z0-9_ (),:&|~<>=\-]+$")  # names are lower case
# Where a variable is written: an atom's arguments (not "not(", "and("), after a quantifier.
# Variables are a letter and at most one digit, and a quantifier binds one ("exists x: exists
# y:"), as in the GBNF grammar: a run-on sample ("exists d1, ei, vi, ...",
# "inside(a_intersection, b)") is cut early.
_QUANTIFIER_HEAD = r"(?:exists|forall)(?:[<>]?=\d+)? "  # "exists ", "exists>=2 ", "forall "
_ATOM_BRACKET = r"\b(?!(?:not|and|or)\()\w+\("  # "ship(", not "not("
_VARIABLE = re.compile(rf"(?:{_ATOM_BRACKET}|, |{_QUANTIFIER_HEAD})(\w*)")
_SHORT = re.compile(r"[a-z][0-9]?")
_LIST = re.compile(rf"{_QUANTIFIER_HEAD}\w+,")
# Spacing as in the canonical form: one space, none inside brackets or before ",", one after
# a count ("exists>=2 x")
_LOOSE = re.compile(r"  |\( | \)| ,|=\d+[a-z]")
_BOUND = re.compile(rf"{_QUANTIFIER_HEAD}(\w+)(?=\W)")
# Bounds no formula of the question sets comes near (at most 3 brackets of grouping nested, 4
# quantifiers), so that a sample cannot nest its way to the token budget ("not(not(not(...",
# "exists x: (exists x1: (exists x2: ..."); and no negation of a negation.
MAX_GROUPING = 6
MAX_QUANTIFIERS = 8
_QUANTIFIER = re.compile(r"\b(?:exists|forall)\b")
_DOUBLE_NEGATION = re.compile(r"(?:~|\bnot\b) ?\(? ?(?:~|\bnot\b)")
_AFTER_NEGATION = re.compile(r"(?:~|\bnot\b) ?\(? ?$")
_PARTIAL_WORD = re.compile(r"(?<!\w)([a-z_]{2,})$")
_LAST_ATOM = re.compile(r"\b\w+\([\w, ]*\)$")


class Vocabulary:
    """The text of each token and the tokens that end a sample (the end of text, a line break:
    the formula is one line)."""

    def __init__(self, pieces: list[str], eos: int, ends: set[int]):
        self.pieces, self.eos = pieces, eos
        self.usable = np.array([bool(_ALPHABET.match(p)) for p in pieces])
        self.ends = {eos} | set(ends)
        self.ends |= {i for i, p in enumerate(pieces) if p and not p.strip() and "\n" in p}
        self.end_tokens = np.array(sorted(self.ends), dtype=np.int64)
        self.is_end = np.zeros(len(pieces), dtype=bool)
        self.is_end[self.end_tokens] = True
        # one token per character of the formula alphabet: a viable prefix can always be
        # extended by one character, so these are the last resort when no likely token fits
        singles: dict[str, int] = {}
        for i, p in enumerate(pieces):
            if len(p) == 1 and self.usable[i]:
                singles.setdefault(p, i)
        self.singles = np.array(sorted(singles.values()), dtype=np.int64)


class GrammarSampler:
    """One sample's decoding: `choose(logits)` draws the next token, `feed(token)` takes the
    token the model was given."""

    def __init__(self, vocabulary: Vocabulary, *, temperature: float, seed: int):
        self.vocabulary, self.temperature = vocabulary, temperature
        self.random = np.random.default_rng(seed)
        self.text, self.done = "", False
        self._checked = ("", "prefix")  # the last text viable() judged, and its status

    def feed(self, token: int) -> None:
        if token in self.vocabulary.ends:
            self.done = True
        elif not self.done:
            self.text += self.vocabulary.pieces[token]

    def choose(self, logits: np.ndarray) -> int:
        """The next token: a draw the grammar allows (the end only once the formula is
        complete) among the TOP likeliest tokens and the ends; after DRAWS misses, the likeliest
        of those that fits, then the likeliest single character that does."""
        vocabulary = self.vocabulary
        if self.done:
            return vocabulary.eos
        checked, status = self._checked
        complete = (status if checked == self.text else viable(self.text)) == "complete"
        if complete and _repeats_an_atom(self.text):
            return vocabulary.eos  # a small model in a loop ("& ship(c) & ship(c) ..."): stop
        scores = np.asarray(logits, dtype=np.float64)[: len(vocabulary.pieces)]
        tokens = np.union1d(np.argpartition(scores, -TOP)[-TOP:], vocabulary.end_tokens)
        tokens = tokens[vocabulary.usable[tokens] | vocabulary.is_end[tokens]]
        tokens = tokens[np.argsort(-scores[tokens])]  # likeliest first
        if self.temperature > 0:
            weights = np.exp((scores[tokens] - scores[tokens[0]]) / self.temperature)
            for _ in range(DRAWS):
                total = weights.sum()
                if total <= 0:
                    break
                pick = int(self.random.choice(len(tokens), p=weights / total))
                if self._allowed(int(tokens[pick]), complete):
                    return self._chosen(int(tokens[pick]))
                weights[pick] = 0.0
        singles = vocabulary.singles[np.argsort(-scores[vocabulary.singles])]
        for token in [*tokens.tolist(), *singles.tolist()]:
            if self._allowed(token, complete):
                return self._chosen(token)
        return vocabulary.eos

    def _chosen(self, token: int) -> int:
        return self.vocabulary.eos if self.vocabulary.is_end[token] else token

    def _allowed(self, token: int, complete: bool) -> bool:
        if self.vocabulary.is_end[token]:
            return complete
        text = self.text + self.vocabulary.pieces[token]
        if _LOOSE.search(text) or not (_short_variables(text) and _bounded(text)):
            return False
        self._checked = (text, viable(text))  # the next step's status, if this token is taken
        return self._checked[1] != "dead"


def _short_variables(text: str) -> bool:
    """Whether every variable written so far is a short name, one per quantifier and new there
    (the last may still be growing)."""
    if _LIST.search(text):
        return False
    names = [(m.group(1), m.end() == len(text)) for m in _VARIABLE.finditer(text)]
    if not all(_SHORT.fullmatch(name) or (last and not name) for name, last in names):
        return False
    # a quantifier binds a name not written before it (the parser would only object at ':')
    return not any(
        re.search(rf"\b{m.group(1)}\b", text[: m.start()]) for m in _BOUND.finditer(text)
    )


def _bounded(text: str) -> bool:
    """Whether the text stays within the nesting bounds above."""
    if _DOUBLE_NEGATION.search(text) or len(_QUANTIFIER.findall(text)) > MAX_QUANTIFIERS:
        return False
    partial = _PARTIAL_WORD.search(text)
    if partial:  # a word being written that these bounds forbid is cut at once, not at its end
        before, word = text[: partial.start()], partial.group(1)
        banned = {"not"} if _AFTER_NEGATION.search(before) else set()
        if len(_QUANTIFIER.findall(before)) >= MAX_QUANTIFIERS:
            banned |= {"exists", "forall"}
        if any(b.startswith(word) for b in banned) and not any(
            w.startswith(word) for w in _words() - banned
        ):
            return False
    atoms = {m.end() - 1 for m in re.finditer(_ATOM_BRACKET, text)}
    open_brackets: list[bool] = []  # grouping (True) or an atom's (False)
    for i, char in enumerate(text):
        if char == "(":
            open_brackets.append(i not in atoms)
            if sum(open_brackets) > MAX_GROUPING:
                return False
        elif char == ")" and open_brackets:
            open_brackets.pop()
    return True


@cache
def _words() -> frozenset[str]:
    """Every word a formula may hold but its variables: predicates (and their spellings) and
    keywords."""
    return frozenset({*class_names(), *relation_names(), *KEYWORDS})


def _repeats_an_atom(text: str) -> bool:
    """Whether the text ends with an atom it has written before."""
    last = _LAST_ATOM.search(text)
    return last is not None and text.count(last.group(0)) > 1


class LlamaLogits:
    """A llama-cpp-python logits processor steering one sample: every token but the one its
    GrammarSampler chose is masked."""

    def __init__(self, sampler: GrammarSampler):
        self.sampler, self.started = sampler, False

    def __call__(self, input_ids, logits):
        if self.started:
            self.sampler.feed(int(input_ids[-1]))
        self.started = True
        steered = np.full_like(logits, -np.inf)
        steered[self.sampler.choose(logits)] = 0.0
        return steered
