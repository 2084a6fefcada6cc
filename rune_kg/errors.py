"""Every error rune-kg reports to its user, one class per stage under one base, `RuneError`.

A RuneError's message is one line a user can act on; the CLI prints it and exits with status 2,
and the server maps each class to an HTTP status (rune_kg.server.errors), so the stages never
speak HTTP. Anything else that escapes is a bug.
"""

from __future__ import annotations


class RuneError(Exception):
    """Base of every error meant for the user."""


# -- knowledge graph (rune_kg.kg) -----------------------------------------------------------
class StoreError(RuneError):
    """The store cannot be opened, read or written, or the SPARQL endpoint did not answer."""


class FormatError(RuneError):
    """A format that does not fit: SELECT results asked for as Turtle, a file of unknown type."""


class IdentifierError(RuneError):
    """An image id or source name that cannot become part of an IRI."""


# -- ingest (rune_kg.ingest) ----------------------------------------------------------------
class IngestError(RuneError):
    """Nothing to ingest, or an input that stops the whole ingest (not a single bad file)."""


class LabelFormatError(IngestError):
    """A label file (DOTA, xBD, a mask, a table of boxes) that cannot be read; names the file
    and where in it (a line, a feature): that file is skipped, the rest ingested."""

    def __init__(self, path, line: int | str | None, reason: str):
        self.path, self.line, self.reason = str(path), line, reason
        where = f"{path}:{line}" if line else str(path)
        super().__init__(f"{where}: {reason}")


class DotaFormatError(LabelFormatError):
    """A DOTA file that cannot be read; names the file and line."""


class RunFileError(IngestError):
    """A run.json beside detection files that cannot be read."""


# -- detection (rune_kg.detect) -------------------------------------------------------------
class DetectError(RuneError):
    """The detector cannot run: mmrotate missing, a bad config, checkpoint, device or option."""


class ClassMappingError(DetectError):
    """A class mapping that cannot be used: no such file, not TOML, an unknown target class."""


# -- queries (rune_kg.query) ----------------------------------------------------------------
class QueryError(RuneError):
    """A query that cannot be answered as asked: bad options, an unknown source or image."""


class AnswerTimeout(QueryError):
    """An answer that took longer than the seconds it was given."""


class FormulaError(QueryError):
    """A formula that does not parse or does not fit the ontology; `position` is 0-based."""

    def __init__(self, message: str, position: int, text: str):
        self.message, self.position, self.text = message, position, text
        super().__init__(f"{message} (at column {position + 1})")


class ExplainError(QueryError):
    """An explanation that cannot be drawn: no picture, or an unreadable one."""


# -- translation (rune_kg.translate) --------------------------------------------------------
class TranslationError(RuneError):
    """A question that could not be turned into a formula; `unknown` lists the words at fault and
    `suggestions` up to three nearby questions that do translate."""

    def __init__(
        self,
        message: str,
        question: str,
        unknown: list[str] | None = None,
        suggestions: list[str] | None = None,
    ):
        self.message, self.question = message, question
        self.unknown, self.suggestions = list(unknown or []), list(suggestions or [])
        super().__init__(message)


# -- the SPARQL protocol (rune_kg.endpoint) -------------------------------------------------
class EndpointError(RuneError):
    """A SPARQL request that cannot be answered."""


class BadRequest(EndpointError):
    """A request the protocol does not allow (a missing or repeated parameter, a bad body)."""


class UnsupportedMediaType(EndpointError):
    """A POST body of a media type the protocol does not take."""


class SparqlSyntaxError(EndpointError):
    """The query or update does not parse; the message is the parser's."""


class Forbidden(EndpointError):
    """An update without the server's token, or a SERVICE endpoint not on the allow-list."""


class NotAcceptable(EndpointError):
    """None of the media types the client accepts can carry this kind of result."""


class QueryTimeout(EndpointError):
    """The query ran past the time limit and was stopped."""


class Busy(EndpointError):
    """Every worker stayed busy for the whole time limit."""


class QueryFailed(EndpointError):
    """The query parsed but failed while running (a SERVICE that did not answer, a store error)."""


class StoreUnavailable(EndpointError):
    """An update the store could not take."""


# -- evaluation (rune_kg.evaluation) and the command line (rune_kg.cli) ---------------------
class EvaluationError(RuneError):
    """A benchmark that cannot run as specified (an unknown method, a missing extra)."""


class CommandError(RuneError):
    """A command-line usage error: options that do not go together, a file of unknown format."""


class ServerRefused(CommandError):
    """`rune query --server`: the server answered with an error, its HTTP status and JSON body."""

    def __init__(self, status: int, body: dict):
        super().__init__(f"the server answered {status}: {body.get('error', body)}")
        self.status, self.body = status, body
