"""The whole pipeline for one request: a question in English (translated) or a formula -> Answer.

`ask` is what `rune query`, the server's search API and the benchmark call; its errors are the
stages' own (TranslationError, FormulaError, QueryError: all RuneErrors).
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import AnswerTimeout, QueryError
from .kg import KnowledgeGraph
from .query.engine import Answer, answer
from .query.places import with_places
from .translate import DEFAULT_SECONDS, Translation, translate

VOTE_SECONDS = 2.0  # how long one LLM candidate may take to be answered for the vote


@dataclass
class Reply:
    translation: Translation | None  # None when a formula was given
    answer: Answer

    def to_json(self) -> dict:
        data = self.answer.to_json()
        if self.translation:
            t = self.translation.to_json()
            data.update(
                question=t["question"],
                translator=t["translator"],
                candidates=t["candidates"],
                translation={k: t[k] for k in ("model", "constrained", "seconds", "fallback")},
            )
        return data


def ask(
    store: KnowledgeGraph,
    question: str | None = None,
    fol: str | None = None,
    *,
    translator="embedded",
    samples: int = 5,
    llm_seconds: float = DEFAULT_SECONDS,
    gazetteer: str | None = None,
    **options,
) -> Reply:
    """Answer `question` (translated by `translator`; an LLM's `samples` and `llm_seconds`: see
    rune_kg.translate) or `fol`, exactly one of them; `options` go to the answer stage (mode,
    limit, tnorm, source, image, seconds); the georeferenced results get the places of the
    `gazetteer` they meet (query/places.py)."""
    if (question is None) == (fol is None):
        raise QueryError("give a question in English or a formula (one of them)")
    translation = None
    if question is not None:

        def answers(formula):  # LLM candidates that select the same images agree
            try:
                found = answer(formula, store, mode="crisp", limit=0, seconds=VOTE_SECONDS)
            except AnswerTimeout:  # a runaway candidate: it votes by its normal form instead
                return None
            return frozenset(r.image for r in found.results)

        translation = translate(
            question, translator, samples=samples, seconds=llm_seconds, answers=answers
        )
    found = answer(translation.formula if translation else fol, store, **options)
    if gazetteer is not None:
        found.results = with_places(store, found.results, gazetteer)
    return Reply(translation, found)
