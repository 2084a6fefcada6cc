"""The translation stage's one error type."""

from __future__ import annotations


class TranslationError(ValueError):
    """A question that could not be turned into a formula; `unknown` lists the words at fault."""

    def __init__(self, message: str, question: str, unknown: list[str] | None = None):
        self.message, self.question, self.unknown = message, question, list(unknown or [])
        super().__init__(message)
