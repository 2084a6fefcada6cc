"""Translate stage: a question in English -> Formula (docs/query-language.md).

`translate(question, translator)` is the entry point; `open_translator(name, ...)` builds one:
- "embedded": rules over the ontology's words, no model weights (embedded.py);
- "llama-cpp" / "transformers" / "openai": an LLM samples N candidates from one prompt
  (prompt.py, backends.py); each is parsed and validated, the invalid ones are dropped, and the
  formula most candidates agree on wins (vote.py), as RUNE does;
- "auto" (the default): the embedded translator, and when it refuses a question, the LLM
  configured by --model/--llm-url or $RUNE_LLM_MODEL/$RUNE_LLM_URL, if any. Every Translation
  names the translator that wrote its formula.
"""

from __future__ import annotations

import os
import time
import unicodedata
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from ..errors import TranslationError
from ..options import LLM_SECONDS as DEFAULT_SECONDS
from ..options import TRANSLATORS
from ..query.formula import Formula, canonical, normal_form

if TYPE_CHECKING:
    from .vote import Candidate

DEFAULT_SAMPLES = 5
MAX_QUESTION = 1000  # characters


@dataclass
class Translation:
    question: str
    translator: str  # the one that wrote the formula: embedded, llama-cpp, transformers, openai
    fol: str  # the canonical formula
    formula: Formula = field(repr=False)
    candidates: list[Candidate] = field(default_factory=list)  # LLMs: every sample, its vote
    model: str | None = None
    constrained: bool | None = None  # decoding constrained to the grammar
    seconds: float = 0.0
    fallback: str | None = None  # auto: why the embedded translator did not write it

    def to_json(self) -> dict:
        data = asdict(self)
        del data["formula"]
        return data


class Auto:
    """The embedded translator first; the LLM (loaded when first needed) when it refuses."""

    name = "auto"

    def __init__(self, open_llm=None, describe: str | None = None):
        self._open, self.describe, self._llm = open_llm, describe, None

    @property
    def has_llm(self) -> bool:
        return self._open is not None

    def llm(self):
        if self._llm is None:
            self._llm = self._open()
        return self._llm


def open_translator(
    name: str = "auto",
    *,
    model: str | None = None,
    url: str | None = None,
    api_key: str | None = None,
    constrained: bool = True,
    temperature: float = 0.7,
):
    """The named translator: "embedded" (returned as the string), an `Auto`, or a loaded LLM
    backend."""
    if name == "embedded":
        return name
    if name == "auto":
        url = url or os.environ.get("RUNE_LLM_URL")
        model = model or os.environ.get("RUNE_LLM_MODEL")
        if not url and not model:
            return Auto()
        kind = "openai" if url else "llama-cpp" if model.endswith(".gguf") else "transformers"
        return Auto(
            lambda: open_translator(
                kind, model=model, url=url, api_key=api_key, temperature=temperature
            ),
            f"{kind} ({url or model})",
        )
    if name == "llama-cpp":
        from .backends import LlamaCppBackend

        if not model:
            raise TranslationError(
                "the llama-cpp translator needs --model (a local .gguf file)", ""
            )
        return LlamaCppBackend(model, temperature=temperature)
    if name == "transformers":
        from .backends import TransformersBackend

        if not model:
            raise TranslationError(
                "the transformers backend needs --model (a local folder or .gguf file)", ""
            )
        return TransformersBackend(model, constrained=constrained, temperature=temperature)
    if name == "openai":
        from .backends import OpenAIBackend

        return OpenAIBackend(url, model, api_key, temperature=temperature)
    raise TranslationError(f"unknown translator {name!r} (known: {', '.join(TRANSLATORS)})", "")


def check_question(question: str) -> None:
    """Refuse what no translator should see: nothing, too much, control characters."""
    if not isinstance(question, str) or not question.strip():
        raise TranslationError("empty question: ask, e.g., 'a ship near a harbor'", question or "")
    if len(question) > MAX_QUESTION:
        raise TranslationError(
            f"a question of {len(question):,} characters is too long (at most {MAX_QUESTION:,})",
            question[:80] + "...",
        )
    control = sorted(
        {f"U+{ord(c):04X}" for c in question if unicodedata.category(c) == "Cc"}
        - {"U+0009", "U+000A", "U+000D"}
    )
    if control:
        raise TranslationError(
            f"the question holds control characters ({', '.join(control)})", question
        )


def _once_per_form(answers):
    """`answers`, called once per normal form of formula (the vote asks again after each sample,
    and a runaway candidate costs the whole of its time limit)."""
    known: dict = {}

    def cached(formula):
        key = normal_form(formula)
        if key not in known:
            known[key] = answers(formula)
        return known[key]

    return cached


def translate(
    question: str,
    translator="embedded",
    *,
    samples: int = DEFAULT_SAMPLES,
    seconds: float = DEFAULT_SECONDS,
    answers=None,
) -> Translation:
    """Translate one question. `translator` is "embedded" or a backend from open_translator;
    an LLM draws up to `samples` candidates, and none after `seconds` once one is valid;
    `answers(formula) -> frozenset of images` (optional) lets LLM candidates that select the
    same images vote together."""
    from .embedded import translate_embedded  # the grammar and the lexicon: when first needed
    from .vote import decided, select

    started = time.perf_counter()
    check_question(question)
    if isinstance(translator, Auto):
        try:
            return translate(question, "embedded")
        except TranslationError as refused:
            if not translator.has_llm:
                raise
            try:
                found = translate(
                    question, translator.llm(), samples=samples, seconds=seconds, answers=answers
                )
            except TranslationError as failed:
                raise TranslationError(
                    f"{refused.message} The LLM ({translator.describe}) could not translate it "
                    f"either: {failed.message}",
                    question,
                    refused.unknown,
                    refused.suggestions,
                ) from None
            found.fallback = refused.message
            return found
    if translator == "embedded":
        formula = translate_embedded(question)
        return Translation(
            question, "embedded", canonical(formula), formula, seconds=time.perf_counter() - started
        )
    if samples < 1:
        raise TranslationError("samples must be at least 1", question)
    if answers is not None:  # the vote is recounted after each sample: answer each form once
        answers = _once_per_form(answers)
    stream = translator.sample(translator.messages(question), samples)
    if isinstance(stream, list):  # sampled whole: nothing to stop early
        formula, candidates = select(stream, answers)
    else:
        texts: list[str] = []
        for text in stream:  # one at a time: stop once the samples to come cannot change the vote
            texts.append(text)
            formula, candidates = select(texts, answers)
            if decided(candidates, samples):
                break
            if formula is not None and time.perf_counter() - started > seconds:
                break
    if formula is None:
        reasons = "; ".join(sorted({c.error for c in candidates if c.error}))[:500]
        raise TranslationError(
            f"none of the {samples} candidates of {translator.name} is a valid formula: {reasons}",
            question,
        )
    return Translation(
        question,
        translator.name,
        canonical(formula),
        formula,
        candidates,
        model=translator.model_name,
        constrained=translator.constrained,
        seconds=time.perf_counter() - started,
    )
