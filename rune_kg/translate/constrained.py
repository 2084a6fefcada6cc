"""Decoding constrained to the formula grammar, for the LLM backends that run in this process
(llama-cpp, transformers). At each step a token is drawn from the model's distribution and kept
only if the text stays a viable formula prefix (query.parse.viable); otherwise it is ruled out
and another is drawn. That is rejection sampling: it draws exactly from the model's
distribution restricted to the tokens the grammar allows. The end of the text is kept only once
the formula is complete, so every sample parses and validates against the ontology.

Checking all of a 49k-token vocabulary at every step costs seconds a step (llama.cpp's GBNF
sampling did: 0.1-1 s a token); one check costs under a millisecond and most steps keep their
first draw.
"""

from __future__ import annotations

import re

import numpy as np

from ..query.parse import viable

DRAWS = 32  # draws before the likeliest tokens are checked in order instead
SCAN = 256  # how many of the likeliest tokens that check reaches before single characters
_ALPHABET = re.compile(r"^[A-Za-z0-9_ (),:&|~<>=\-]+$")
_LAST_ATOM = re.compile(r"\b\w+\([\w, ]*\)$")


class Vocabulary:
    """The text of each token and the tokens that end a sample (the end of text, a line break:
    the formula is one line)."""

    def __init__(self, pieces: list[str], eos: int, ends: set[int]):
        self.pieces, self.eos = pieces, eos
        self.usable = np.array([bool(_ALPHABET.match(p)) for p in pieces])
        self.ends = {eos} | set(ends)
        self.ends |= {i for i, p in enumerate(pieces) if p and not p.strip() and "\n" in p}
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
        complete); after DRAWS misses, the likeliest token that fits, among the SCAN likeliest
        and then the single characters."""
        vocabulary = self.vocabulary
        if self.done:
            return vocabulary.eos
        checked, status = self._checked
        complete = (status if checked == self.text else viable(self.text)) == "complete"
        if complete and _repeats_an_atom(self.text):
            return vocabulary.eos  # a small model in a loop ("& ship(c) & ship(c) ..."): stop
        scores = np.asarray(logits, dtype=np.float64)[: len(vocabulary.pieces)]
        if self.temperature > 0:
            weights = np.exp((scores - scores.max()) / self.temperature)
            weights[~vocabulary.usable] = 0.0
            for end in vocabulary.ends:
                weights[end] = np.exp((scores[end] - scores.max()) / self.temperature)
            for _ in range(DRAWS):
                total = weights.sum()
                if total <= 0:
                    break
                token = int(self.random.choice(len(weights), p=weights / total))
                if self._allowed(token, complete):
                    return vocabulary.eos if token in vocabulary.ends else token
                weights[token] = 0.0
        singles = vocabulary.singles[np.argsort(-scores[vocabulary.singles])]
        for token in [*np.argsort(-scores)[:SCAN].tolist(), *singles.tolist()]:
            if (vocabulary.usable[token] or token in vocabulary.ends) and self._allowed(
                token, complete
            ):
                return vocabulary.eos if token in vocabulary.ends else token
        return vocabulary.eos

    def _allowed(self, token: int, complete: bool) -> bool:
        if token in self.vocabulary.ends:
            return complete
        text = self.text + self.vocabulary.pieces[token]
        self._checked = (text, viable(text))  # the next step's status, if this token is taken
        return self._checked[1] != "dead"


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
