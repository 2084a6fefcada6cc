"""`rune query --server URL`: the question sent to a running `rune serve` (its /api/search), so
that each query costs the server's warm engine and a small client process, not a cold start of
the stages. Only the standard library's HTTP client is imported."""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

from ..errors import CommandError, ServerRefused


def search(server: str, params: dict) -> dict:
    """The answer of the rune server at `server` (its base URL) to /api/search with `params`
    (q or fol, mode, tnorm, limit, source; None values are left out), as its JSON."""
    url = urlsplit(server)
    if url.scheme not in ("http", "https") or not url.hostname:
        raise CommandError(
            f"--server takes the URL of a rune serve, e.g. http://127.0.0.1:8000, not {server!r}"
        )
    kind = http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
    connection = kind(url.hostname, url.port)
    body = json.dumps({k: v for k, v in params.items() if v is not None})
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    try:
        connection.request("POST", url.path.rstrip("/") + "/api/search", body, headers)
        response = connection.getresponse()
        status, data = response.status, response.read()
    except (OSError, http.client.HTTPException) as err:
        raise CommandError(f"cannot reach the rune server at {server}: {err}") from None
    finally:
        connection.close()
    try:
        reply = json.loads(data)
    except ValueError:
        reply = None
    if not isinstance(reply, dict):
        raise CommandError(f"{server} answered {status} without a JSON object: is it rune serve?")
    if status != 200:
        raise ServerRefused(status, reply)
    return reply
