"""Decoding constrained to the formula grammar, for the transformers backend: at each step only
the tokens that keep the text a viable formula prefix (query.parse.viable) may be sampled,
and the end of text only once the formula is complete. So every candidate parses and
validates against the ontology.

Checking all of a 49k-token vocabulary at every step would take a second a step; the likeliest
`TOP` tokens are checked first, and the rest only when none of those fits.
"""

from __future__ import annotations

import re

import numpy as np

from ..query.parse import viable

TOP = 32
_ALPHABET = re.compile(r"^[A-Za-z0-9_ (),:&|~<>=\-]+$")


class GrammarLogits:
    """A transformers LogitsProcessor (duck-typed: called with input_ids and scores)."""

    def __init__(self, tokenizer, prompt_length: int):
        import torch

        self.torch = torch
        self.prompt_length = prompt_length
        vocabulary = len(tokenizer)
        self.pieces = tokenizer.batch_decode([[i] for i in range(vocabulary)])
        self.usable = np.array([bool(_ALPHABET.match(p)) for p in self.pieces])
        self.eos = tokenizer.eos_token_id
        # the end of the text, or of the line (the formula is one line)
        self.ends = {
            i
            for i in (self.eos, tokenizer.convert_tokens_to_ids("<|im_end|>"))
            if isinstance(i, int) and 0 <= i < vocabulary
        }
        self.ends |= {i for i, p in enumerate(self.pieces) if "\n" in p and not p.strip()}
        self.texts: list[str] = []
        self.done: list[bool] = []
        self.complete: list[int] = []  # per row: the length of the longest complete formula so far

    def __call__(self, input_ids, scores):
        rows, length = input_ids.shape
        if length == self.prompt_length:
            self.texts, self.done, self.complete = [""] * rows, [False] * rows, [0] * rows
        else:
            for r in range(rows):
                last = int(input_ids[r, -1])
                if last in self.ends:
                    self.done[r] = True
                elif not self.done[r]:
                    self.texts[r] += self.pieces[last]
        mask = self.torch.full_like(scores, float("-inf"))
        for r in range(rows):
            for token in [self.eos] if self.done[r] else self._allowed(r, scores[r]):
                mask[r, token] = 0.0
        return scores + mask

    def outputs(self) -> list[str]:
        """The candidates. A row that ran out of tokens is closed by the shortest grammatical
        completion (closing brackets, a variable, a use of a quantified variable), or else ends
        at its last complete formula."""
        found = []
        for text, done, end in zip(self.texts, self.done, self.complete):
            found.append(text if done else close(text) or text[:end] or text)
        return found

    def _allowed(self, r: int, row_scores) -> list[int]:
        text = self.texts[r]
        status = viable(text)
        if status == "complete":
            self.complete[r] = len(text)
        allowed = [t for t in self.ends] if status == "complete" else []
        order = self.torch.argsort(row_scores, descending=True).tolist()
        for start in range(0, len(order), TOP):
            for token in order[start : start + TOP]:
                if self.usable[token] and viable(text + self.pieces[token]) != "dead":
                    allowed.append(token)
            if allowed:
                return allowed
        return list(self.ends)  # nothing fits: stop (the candidate is then dropped as invalid)


def close(text: str, depth: int = 4) -> str | None:
    """The shortest completion of a viable prefix from a few pieces, breadth first."""
    variables = sorted(set(re.findall(r"(?:exists|forall)(?:[<>]?=\d+)?\s+([a-z]\w*)", text)))
    pieces = [")", "a", ", a", ": ", "1 x", " x", " ship(x)", " & ship(a)"] + [
        f" & ship({v})" for v in variables
    ]
    frontier = [text]
    for _ in range(depth):
        following = []
        for prefix in frontier:
            for piece in pieces:
                status = viable(prefix + piece)
                if status == "complete":
                    return prefix + piece
                if status == "prefix":
                    following.append(prefix + piece)
        frontier = following[:200]
    return None
