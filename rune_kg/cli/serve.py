"""rune serve: the HTTP server (search page, search API, SPARQL endpoint, linked data)."""

from __future__ import annotations

from pathlib import Path

from ..errors import CommandError
from ..options import TRANSLATORS
from .common import store_options


def cmd_serve(args) -> int:
    from ..server import create_app  # Flask and waitress: only for this command

    given = {
        "STORE": args.store,
        "ENDPOINT": args.endpoint,
        "UPDATE_ENDPOINT": args.update_endpoint,
        "QUERY_TIMEOUT": args.timeout,
        "QUERY_WORKERS": args.query_workers,
        "CONFIG_FILE": args.config,
        "TRANSLATOR": args.translator,
        "LLM_MODEL": args.model,
        "LLM_URL": args.llm_url,
    }
    try:
        app = create_app(
            {k: str(v) if isinstance(v, Path) else v for k, v in given.items() if v is not None}
        )
    except ValueError as err:  # a setting of the wrong type
        raise CommandError(f"bad server setting: {err}") from None
    if args.dev:
        app.run(args.host, args.port, threaded=True)
        return 0
    from waitress import create_server

    server = create_server(
        app, host=args.host, port=args.port, threads=args.threads, ident="rune-kg"
    )
    print(
        f"rune-kg serving {app.extensions['rune'].store.location} on "
        f"http://{args.host}:{server.effective_port}/ "
        f"(SPARQL at /sparql; Ctrl-C stops)",
        flush=True,
    )
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    return 0


def register(sub) -> None:
    """The serve command's parser."""
    p = sub.add_parser(
        "serve",
        help="serve the store over HTTP: search page, search API, SPARQL endpoint, linked data",
    )
    store_options(p)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 picks a free one)")
    p.add_argument(
        "--config", type=Path, help="a TOML file of settings (default $RUNE_SERVER_CONFIG)"
    )
    p.add_argument("--threads", type=int, default=8, help="request threads (default 8)")
    p.add_argument("--timeout", type=float, help="seconds a SPARQL query may run (default 30)")
    p.add_argument(
        "--query-workers", type=int, help="processes that run SPARQL queries (default 2)"
    )
    p.add_argument(
        "--translator",
        choices=list(TRANSLATORS),
        help="English -> formula for the search API (default auto: the embedded rules, then "
        "the LLM of --model/--llm-url when they refuse)",
    )
    p.add_argument("--model", help="LLM translator: .gguf file, model folder or model name")
    p.add_argument("--llm-url", help="openai translator: the server's base URL")
    p.add_argument(
        "--dev", action="store_true", help="Flask's development server instead of waitress"
    )
    p.set_defaults(func=cmd_serve)
