"""The W3C SPARQL 1.1 Protocol tests, run from protocol/manifest.ttl over real HTTP against
`rune serve` (waitress, on 127.0.0.1, taking updates with a token).

Each test is a list of HTTP requests (method, path, headers, body in its character encoding)
with what each answer must be: a status class, and for some a result format ("boolean",
"tabular" or "RDF") and an ASK answer. A test's graph data (ut:graphData) is put into the named
graphs it names by an update through the same endpoint before the test runs. The paths start
with /sparql/, which rune serve answers as /sparql.
"""

from __future__ import annotations

import http.client
import os
import subprocess
import sys

import pyoxigraph as ox
import pytest

from rune_kg.kg import Store

from .w3c import MF, RDFS, SUITE, UT, manifest, objects, one, path, rdf_list

HT = "http://www.w3.org/2011/http#"
CNT = "http://www.w3.org/2011/content#"
TOKEN = "w3c-protocol"
RESULTS = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
# Not applicable, each with its reason: none.
NOT_APPLICABLE: dict[str, str] = {}

pytestmark = pytest.mark.skipif(not SUITE.is_dir(), reason=f"no W3C suite at {SUITE}")


def protocol_tests() -> list[dict]:
    """Every mf:ProtocolTest of protocol/manifest.ttl, in the manifest's order."""
    file = SUITE / "protocol" / "manifest.ttl"
    graph = manifest(file)
    tests = []
    for test in rdf_list(graph, one(graph, ox.NamedNode(file.as_uri()), MF + "entries")):
        action = one(graph, test, MF + "action")
        requests = []
        for node in rdf_list(graph, one(graph, action, HT + "requests")):
            body = one(graph, node, HT + "body")
            response = one(graph, node, HT + "resp")
            expected_boolean = one(graph, response, MF + "expectedBoolean")
            expected_format = one(graph, response, MF + "expectedFormat")
            requests.append(
                {
                    "method": one(graph, node, HT + "methodName").value,
                    "path": one(graph, node, HT + "absolutePath").value,
                    "headers": {
                        one(graph, h, HT + "fieldName").value: one(
                            graph, h, HT + "fieldValue"
                        ).value
                        for h in rdf_list(
                            graph,
                            one(graph, node, HT + "headers")
                            or ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#nil"),
                        )
                    },
                    "body": (
                        one(graph, body, CNT + "chars").value.encode(
                            one(graph, body, CNT + "characterEncoding").value
                        )
                        if body
                        else None
                    ),
                    "statuses": {
                        s.value.rsplit("StatusCode", 1)[1][0]
                        for s in objects(graph, response, MF + "expectedStatus")
                    },
                    "format": expected_format.value if expected_format else None,
                    "boolean": expected_boolean.value == "true" if expected_boolean else None,
                }
            )
        tests.append(
            {
                "id": test.value.rsplit("#", 1)[1],
                "graphs": [
                    (path(one(graph, d, UT + "graph")), one(graph, d, RDFS + "label").value)
                    for d in objects(graph, test, UT + "graphData")
                ],
                "requests": requests,
            }
        )
    return tests


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`rune serve` over an empty store, with an update token: (host, port)."""
    folder = tmp_path_factory.mktemp("protocol") / "db"
    Store(folder).flush()
    process = subprocess.Popen(
        [sys.executable, "-m", "rune_kg.cli", "serve", "--store", str(folder), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "RUNE_UPDATE_TOKEN": TOKEN},
    )
    line = process.stdout.readline()
    if " on http://" not in line:
        process.kill()
        raise RuntimeError(f"rune serve did not start: {line}{process.stderr.read()}")
    host, port = line.split("http://", 1)[1].split("/", 1)[0].split(":")
    yield host, int(port)
    process.terminate()
    process.wait(timeout=10)


def _send(server, method: str, target: str, headers: dict, body: bytes | None):
    connection = http.client.HTTPConnection(*server, timeout=30)
    try:
        connection.request(
            method, target, body=body, headers={**headers, "Authorization": f"Bearer {TOKEN}"}
        )
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type", ""), response.read()
    finally:
        connection.close()


def _load_graphs(server, graphs: list) -> None:
    inserts = " ".join(
        f"GRAPH {ox.NamedNode(name)} {{ {file.read_text()} }}" for file, name in graphs
    )
    status, _, text = _send(
        server,
        "POST",
        "/sparql",
        {"Content-Type": "application/sparql-update"},
        f"DROP ALL ; INSERT DATA {{ {inserts} }}".encode(),
    )
    assert status == 204, text


def _failure(request: dict, status: int, media_type: str, body: bytes) -> str | None:
    """Why the answer does not meet the request's expectations (None when it does)."""
    if str(status)[0] not in request["statuses"]:
        return f"status {status}, expected {sorted(request['statuses'])}xx: {body[:200]!r}"
    kind = media_type.split(";")[0].strip()
    if request["format"] in ("boolean", "tabular"):
        if kind not in RESULTS:
            return f"{kind} is not a SPARQL results format"
        results = ox.parse_query_results(body, format=RESULTS[kind])
        if request["boolean"] is not None and bool(results) != request["boolean"]:
            return f"answered {bool(results)}"
    elif request["format"] == "RDF":
        rdf_format = ox.RdfFormat.from_media_type(kind)
        if rdf_format is None:
            return f"{kind} is not an RDF format"
        ox.parse(body, format=rdf_format)
    return None


def test_every_protocol_test_passes_against_rune_serve(server):
    tests = protocol_tests()
    failures, passed = {}, 0
    for test in tests:
        if test["id"] in NOT_APPLICABLE:
            continue
        if test["graphs"]:
            _load_graphs(server, test["graphs"])
        for request in test["requests"]:
            why = _failure(
                request,
                *_send(
                    server, request["method"], request["path"], request["headers"], request["body"]
                ),
            )
            if why:
                failures[test["id"]] = why
                break
        else:
            passed += 1
    print(
        f"\nW3C SPARQL 1.1 protocol: {passed} of {len(tests)} pass, "
        f"{len(NOT_APPLICABLE)} not applicable"
    )
    assert len(tests) == 34 and not failures, failures
