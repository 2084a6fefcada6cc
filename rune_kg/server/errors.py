"""The one place where rune-kg's errors become HTTP responses: a status per error class, a JSON
body under /api/ (with the fields a client needs to fix its request) and plain text elsewhere,
as the SPARQL protocol's clients expect."""

from __future__ import annotations

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from ..errors import (
    AnswerTimeout,
    BadRequest,
    Busy,
    ExplainError,
    Forbidden,
    FormulaError,
    IdentifierError,
    NotAcceptable,
    QueryError,
    QueryFailed,
    QueryTimeout,
    RuneError,
    SparqlSyntaxError,
    StoreError,
    StoreUnavailable,
    TranslationError,
    UnsupportedMediaType,
)
from ..query.engine import MODES
from ..query.tnorms import TNORMS

# The most specific class listed in an error's MRO decides; anything else is a 500.
STATUS: dict[type[RuneError], int] = {
    BadRequest: 400,
    SparqlSyntaxError: 400,
    TranslationError: 400,
    FormulaError: 400,
    QueryError: 400,
    Forbidden: 403,
    IdentifierError: 404,
    ExplainError: 404,
    NotAcceptable: 406,
    UnsupportedMediaType: 415,
    QueryFailed: 500,
    QueryTimeout: 503,
    AnswerTimeout: 503,
    Busy: 503,
    StoreUnavailable: 503,
    StoreError: 503,
}


def status_of(err: RuneError) -> int:
    return next((STATUS[cls] for cls in type(err).__mro__ if cls in STATUS), 500)


def _details(err: RuneError) -> dict:
    """What a JSON client gets besides the message."""
    if isinstance(err, TranslationError):
        return {
            "error": err.message,
            "question": err.question,
            "unknown": err.unknown,
            "suggestions": err.suggestions,
        }
    if isinstance(err, FormulaError):
        return {"error": str(err), "position": err.position, "formula": err.text}
    if isinstance(err, QueryError) and not isinstance(err, ExplainError):
        return {"error": str(err), "modes": list(MODES), "tnorms": list(TNORMS)}
    return {"error": str(err)}


RETRY_AFTER = "2"  # seconds a client should wait after a 503


def _reply(message: str, status: int, details: dict | None = None) -> Response:
    """JSON under /api/, plain text elsewhere (as SPARQL clients expect)."""
    if request.path.startswith("/api/"):
        response = jsonify(details or {"error": message})
    else:
        response = Response(message + "\n", mimetype="text/plain")
    response.status_code = status
    if status == 503:
        response.headers["Retry-After"] = RETRY_AFTER
    return response


def rune_error(err: RuneError) -> Response:
    return _reply(str(err), status_of(err), _details(err))


def http_error(err: HTTPException) -> Response:
    """Flask's own errors (no such route, method not allowed, body too large) in the same form."""
    response = _reply(err.description or err.name, err.code or 500)
    if err.code == 405 and err.valid_methods:
        response.headers["Allow"] = ", ".join(err.valid_methods)
    return response


def register(app: Flask) -> None:
    app.register_error_handler(RuneError, rune_error)
    app.register_error_handler(HTTPException, http_error)
