"""SPARQL endpoint stage: a SparqlRequest -> SparqlResponse (serialized results), run by a pool of
worker processes that each hold the store read-only, so that a query over its time limit is
stopped by stopping its process. Requests are checked first (check_request): their nesting,
and their SERVICE and LOAD IRIs against an allow-list.

Entry point: `QueryPool.run`; one error type, `EndpointError` (with a subclass per HTTP status).
"""

from .formats import GRAPH_TYPES, RESULT_TYPES
from .pool import QueryPool, SparqlRequest, SparqlResponse
from .services import check_request

__all__ = [
    "Busy",
    "EndpointError",
    "Forbidden",
    "NotAcceptable",
    "QueryFailed",
    "QueryTimeout",
    "SparqlSyntaxError",
    "GRAPH_TYPES",
    "RESULT_TYPES",
    "QueryPool",
    "SparqlRequest",
    "SparqlResponse",
    "check_request",
]
