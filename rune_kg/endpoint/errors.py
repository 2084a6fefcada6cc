"""What can go wrong with a SPARQL request, each with the HTTP status the protocol gives it."""

from __future__ import annotations


class EndpointError(RuntimeError):
    """A SPARQL request that cannot be answered."""

    status = 500


class SparqlSyntaxError(EndpointError):
    """The query does not parse; the message is the parser's."""

    status = 400


class Forbidden(EndpointError):
    """An update without the server's token, or a SERVICE endpoint not on the allow-list."""

    status = 403


class NotAcceptable(EndpointError):
    """None of the media types the client accepts can carry this kind of result."""

    status = 406


class QueryTimeout(EndpointError):
    """The query ran past the time limit and was stopped."""

    status = 503


class Busy(EndpointError):
    """Every worker stayed busy for the whole time limit."""

    status = 503


class QueryFailed(EndpointError):
    """The query parsed but failed while running (a SERVICE that did not answer, a store error)."""

    status = 500
