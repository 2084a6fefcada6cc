"""Server settings: these defaults, then a TOML file ($RUNE_SERVER_CONFIG or `rune serve
--config`), then RUNE_* environment variables (RUNE_QUERY_TIMEOUT=5 sets QUERY_TIMEOUT), then
what the caller passes (command-line options, tests)."""

from ..translate import DEFAULT_SECONDS

DEFAULTS = {
    "STORE": "rune-store",  # the store folder
    "ENDPOINT": None,  # a SPARQL 1.1 query URL instead of the store folder (rune_kg.kg.remote)
    "UPDATE_ENDPOINT": None,  # its update URL
    # public URL of the server (behind a proxy); default: the URL the request came to
    "BASE_URL": None,
    "QUERY_TIMEOUT": 30.0,  # seconds a SPARQL query may run (waiting for a worker included)
    "QUERY_WORKERS": 2,  # processes that run SPARQL queries
    # SPARQL requests that may wait for a busy worker (each holds a server thread); beyond
    # them, 503 at once. Keep it below the server's threads minus QUERY_WORKERS.
    "QUERY_QUEUE": 2,
    # The default graph of a query naming no dataset: "union" (of every graph; updates must then
    # name their graphs) or "store" (the store's own unnamed graph, for queries and updates)
    "DEFAULT_GRAPH": "union",
    "MAX_CONTENT_LENGTH": 1 << 20,  # bytes of a request body (413 beyond)
    "UPDATE_TOKEN": None,  # SPARQL updates need "Authorization: Bearer <token>"; none: refused
    "SERVICE_ALLOW": [],  # endpoint IRIs that SERVICE clauses may call
    # Places in the search results: None, "store" (named features in the store) or the URL of
    # a SPARQL endpoint holding them (it must be on SERVICE_ALLOW)
    "GAZETTEER": None,
    "CORS_ORIGIN": "*",  # Access-Control-Allow-Origin on /sparql and /api
    # English -> formula: auto (embedded, then the LLM of LLM_MODEL/LLM_URL), embedded, llama-cpp,
    # transformers or openai
    "TRANSLATOR": "auto",
    "LLM_MODEL": None,  # transformers: a model folder or .gguf file; openai: the model name
    "LLM_URL": None,  # openai: the server's base URL
    "LLM_SAMPLES": 5,
    "LLM_SECONDS": DEFAULT_SECONDS,  # no LLM sample is started after this once one is valid
    "SEARCH_LIMIT": 20,  # results per search unless the request asks for another number
    "SEARCH_MAX_LIMIT": 500,
}
