"""The `rune` command: one subcommand per capability; each calls one stage's entry function."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pyoxigraph as ox

from . import __version__
from .detect.errors import DetectError
from .ingest import IngestError, ingest
from .iris import IdentifierError
from .vocab import PREFIXES
from .stats import collection_stats
from .store import Store, StoreError, open_store

SAMPLE_DIR = Path(__file__).resolve().parent / "data" / "sample"

RESULT_FORMATS = {"json": ox.QueryResultsFormat.JSON, "csv": ox.QueryResultsFormat.CSV,
                  "tsv": ox.QueryResultsFormat.TSV, "xml": ox.QueryResultsFormat.XML}
GRAPH_FORMATS = {"turtle": ox.RdfFormat.TURTLE, "ntriples": ox.RdfFormat.N_TRIPLES,
                 "xml": ox.RdfFormat.RDF_XML, "json": ox.RdfFormat.JSON_LD}
REMOTE_ACCEPT = {"json": "application/sparql-results+json, application/ld+json;q=0.9",
                 "csv": "text/csv", "tsv": "text/tab-separated-values",
                 "xml": "application/sparql-results+xml, application/rdf+xml;q=0.9",
                 "turtle": "text/turtle", "ntriples": "application/n-triples"}


class CommandError(RuntimeError):
    """A user error to print as one line, exit status 2."""


def _store_arg(parser: argparse.ArgumentParser, remote: bool = True) -> None:
    parser.add_argument("--store", type=Path, default=None,
                        help="store folder (default: $RUNE_STORE or ./rune-store)")
    if remote:
        parser.add_argument("--endpoint", help="a SPARQL 1.1 query URL instead of a store folder (default $RUNE_ENDPOINT)")
        parser.add_argument("--update-endpoint", help="its update URL (default $RUNE_UPDATE_ENDPOINT)")


def _open(args, read_only: bool = False):
    """The embedded store (--store) or the remote endpoint (--endpoint)."""
    return open_store(args.store, getattr(args, "endpoint", None), getattr(args, "update_endpoint", None),
                      read_only=read_only)


def cmd_ingest(args) -> int:
    store = _open(args)
    report = ingest(args.paths, store, source=args.source, images_dir=args.images,
                    progress=not args.quiet, workers=args.workers)
    return _ingest_summary(report, store)


def _ingest_summary(report, store) -> int:
    """Print an ingest's failures and counts; the exit status."""
    for failure in report.failures:
        print(f"error: {failure.reason}", file=sys.stderr)
    print(f"ingested {report.images} images, {report.entities} entities, {report.triples} triples "
          f"({report.relations} stored relations) as source {report.source!r} in {report.seconds:.2f} s "
          f"into {store.location}")
    return 1 if report.failures else 0


def _count(n: int, noun: str) -> str:
    """'1 image', '2 images'."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def cmd_detect(args) -> int:
    from .detect import DetectOptions, detect
    from .dota import write_detection_files
    from .ingest import ingest_images
    from .runfile import RUN_FILE, write_run_file

    if not args.out and not args.ingest:
        raise CommandError("say where the detections go: --out DIR (DOTA Task1 files) and/or --ingest (the store)")
    store = _open(args) if args.ingest else None  # before the long run, so a bad store fails first
    options = DetectOptions(args.config, args.checkpoint, args.device, args.score_thr, args.merge_iou,
                            args.tile, args.overlap, args.batch, args.classes)
    result = detect(args.images, options, progress=not args.quiet)
    for failure in result.failures:
        print(f"error: {failure.file}: {failure.reason}", file=sys.stderr)
    if result.mapping.unmapped:
        print(f"note: dropped the model classes with no ontology class: {', '.join(result.mapping.unmapped)}",
              file=sys.stderr)
    objects = sum(len(image.objects) for image in result.images)
    rate = result.tiles / result.seconds if result.seconds else 0.0
    print(f"detected {_count(objects, 'object')} in {_count(len(result.images), 'image')} "
          f"({_count(result.tiles, 'tile')}) in {result.seconds:.1f} s ({rate:.2f} tiles/s) "
          f"on {result.detector.device}")
    run = result.run_info(args.source or result.detector.config_path.stem)
    if args.out:
        files = write_detection_files(result.images, args.out)
        write_run_file(args.out, run, result.pictures)
        print(f"wrote {len(files)} DOTA Task1 files and {RUN_FILE} (the run's provenance) to {args.out}")
    if args.ingest:
        report = ingest_images(result.images, store, run, result.pictures, progress=not args.quiet,
                               workers=args.workers)
        if _ingest_summary(report, store):
            return 1
    return 1 if result.failures else 0


def cmd_sparql(args) -> int:
    store = _open(args, read_only=not args.update)
    text = args.query if args.query != "-" else sys.stdin.read()
    try:
        if args.update:
            store.update(text)
            print("update done")
            return 0
        if not isinstance(store, Store):  # a remote endpoint serializes its own results
            body, _ = store.raw_query(text, REMOTE_ACCEPT[args.format])
            sys.stdout.buffer.write(body.rstrip(b"\n") + b"\n")
            return 0
        result = store.query(text)
    except SyntaxError as err:
        raise CommandError(f"SPARQL syntax error: {err}") from None
    out = sys.stdout.buffer
    if isinstance(result, ox.QueryBoolean):
        result.serialize(out, RESULT_FORMATS.get(args.format, ox.QueryResultsFormat.JSON))
    elif isinstance(result, ox.QuerySolutions):
        if args.format not in RESULT_FORMATS:
            raise CommandError(f"--format {args.format} is for graphs; SELECT results: {', '.join(RESULT_FORMATS)}")
        result.serialize(out, RESULT_FORMATS[args.format])
    else:
        fmt = GRAPH_FORMATS.get(args.format, ox.RdfFormat.TURTLE if args.format == "json" else None)
        if fmt is None:
            raise CommandError(f"--format {args.format} is for SELECT/ASK; graphs: {', '.join(GRAPH_FORMATS)}")
        out.write(ox.serialize(result, format=fmt))
    out.write(b"\n")
    return 0


LOAD_FORMATS = {".ttl": ox.RdfFormat.TURTLE, ".nt": ox.RdfFormat.N_TRIPLES, ".nq": ox.RdfFormat.N_QUADS,
                ".trig": ox.RdfFormat.TRIG, ".jsonld": ox.RdfFormat.JSON_LD, ".json": ox.RdfFormat.JSON_LD,
                ".rdf": ox.RdfFormat.RDF_XML, ".owl": ox.RdfFormat.RDF_XML, ".xml": ox.RdfFormat.RDF_XML}
EXPORT_FORMATS = {"nquads": ox.RdfFormat.N_QUADS, "trig": ox.RdfFormat.TRIG, "turtle": ox.RdfFormat.TURTLE,
                  "ntriples": ox.RdfFormat.N_TRIPLES, "jsonld": ox.RdfFormat.JSON_LD, "rdfxml": ox.RdfFormat.RDF_XML}


def cmd_load(args) -> int:
    from . import iris

    fmt = LOAD_FORMATS.get(args.file.suffix.lower())
    if fmt is None:
        raise CommandError(f"cannot tell the format of {args.file.name} (known endings: {', '.join(LOAD_FORMATS)})")
    default = ox.NamedNode(args.graph) if args.graph else iris.loaded_graph(args.file.stem)
    graphs: dict[ox.NamedNode, list[ox.Triple]] = {}
    try:
        with args.file.open("rb") as f:
            for quad in ox.parse(f, format=fmt):
                graph = default if args.graph or isinstance(quad.graph_name, ox.DefaultGraph) else quad.graph_name
                graphs.setdefault(graph, []).append(quad.triple)
    except SyntaxError as err:
        raise CommandError(f"{args.file}: {err}") from None
    store = _open(args)
    store.put_graphs([(g, ox.serialize(t, format=ox.RdfFormat.N_TRIPLES).decode()) for g, t in graphs.items()])
    store.flush()
    print(f"loaded {sum(map(len, graphs.values()))} triples into {', '.join(g.value for g in graphs)} "
          f"of {store.location} (each graph replaced whole)")
    return 0


def cmd_export(args) -> int:
    fmt = EXPORT_FORMATS[args.format]
    store = _open(args, read_only=True)
    quads = store.quads()
    items = quads if fmt.supports_datasets else {q.triple for q in quads}
    out = args.out.open("wb") if args.out else sys.stdout.buffer
    try:
        if isinstance(store, Store) and fmt.supports_datasets:
            store.dump(out, fmt)  # streamed by Oxigraph
            return 0
        prefixes = PREFIXES if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG) else None
        if prefixes:
            out.write(ox.serialize(list(items), format=fmt, prefixes=prefixes))
        else:
            ox.serialize(list(items), out, format=fmt)
    finally:
        if args.out:
            out.close()
    return 0


def cmd_stats(args) -> int:
    stats = collection_stats(_open(args, read_only=True))
    if args.json:
        print(json.dumps(stats, indent=2))
        return 0
    print(f"images:   {stats['images']}\nentities: {stats['entities']}\ntriples:  {stats['triples']}")
    print(f"runs:     {', '.join(stats['runs']) or '-'}")
    for name, count in stats["classes"].items():
        print(f"  {name:<20} {count}")
    return 0


def _answer(args, store: Store, **options):
    from .query.engine import QueryError, answer
    from .query.parse import FormulaError

    try:
        return answer(args.fol, store, mode=args.mode, tnorm=args.tnorm, source=args.source, **options)
    except (FormulaError, QueryError) as err:
        raise CommandError(str(err)) from None


def cmd_query(args) -> int:
    from .query.engine import QueryError
    from .query.parse import FormulaError
    from .search import search
    from .translate import TranslationError, open_translator

    if (args.question is None) == (args.fol is None):
        raise CommandError("give a question in English or --fol FORMULA (one of them)")
    store = _open(args, read_only=True)
    try:
        translator = "embedded" if args.question is None else open_translator(
            args.translator, model=args.model, url=args.llm_url, constrained=not args.unconstrained)
        found = search(store, args.question, args.fol, translator=translator, samples=args.samples,
                       mode=args.mode, tnorm=args.tnorm, source=args.source, limit=args.limit)
    except TranslationError as err:
        raise CommandError(f"cannot translate {args.question!r}: {err}") from None
    except (FormulaError, QueryError) as err:
        raise CommandError(str(err)) from None
    if args.json:
        print(json.dumps(found.to_json(), indent=2))
        return 0
    translation, result = found.translation, found.answer
    if translation:
        votes = f", {max(c.votes for c in translation.candidates)} of {len(translation.candidates)} candidates agree" \
            if translation.candidates else ""
        print(f"{translation.question!r} -> ({translation.translator}{votes})")
    print(f"{result.fol}\n{result.matched} images match ({result.mode}, {result.timing_ms['total']:.1f} ms)")
    for r in result.results:
        who = ", ".join(f"{w.variable}={w.class_name}#{w.entity.rsplit('/', 1)[-1]}" for w in r.witness)
        print(f"  {r.image}  score {r.score:.3f}  {who}")
    return 0


def cmd_demo(args) -> int:
    store = _open(args)
    print(f"== ingesting the sample DOTA annotations ({SAMPLE_DIR / 'labelTxt'})")
    report = ingest([SAMPLE_DIR / "labelTxt"], store, source="dota", images_dir=SAMPLE_DIR / "images",
                    progress=False)
    print(f"   {report.images} images, {report.entities} entities, {report.triples} triples, {report.seconds:.2f} s")
    print("== entities per class (rune stats)")
    for name, count in collection_stats(store)["classes"].items():
        print(f"   {name:<20} {count}")
    print("== SPARQL: images with a ship near a harbor (rune sparql)")
    query = ("SELECT ?id (COUNT(DISTINCT ?s) AS ?ships) WHERE { ?s a rune:Ship ; rune:inImage ?i . "
             "?h a rune:Harbor . ?s rune:near|^rune:near ?h . ?i rune:imageId ?id } GROUP BY ?id ORDER BY DESC(?ships)")
    for row in store.query(query):
        print(f"   {row['id'].value}: {row['ships'].value} ships near a harbor")
    question = "a ship with no other ship near it"
    print(f"== a question in English, translated to logic (rune query '{question}' --mode crisp)")
    cmd_query(build_parser().parse_args(["query", question, "--store", str(store.path), "--mode", "crisp",
                                         "--limit", "5"]))
    fol = "ship(s) & harbor(h) & near(s, h) & left_of(s, h)"
    print(f"== why P0706 has a ship left of a harbor, drawn on its picture (rune explain P0706 --fol '{fol}' --out {args.out})")
    status = cmd_explain(build_parser().parse_args(["explain", "P0706", "--fol", fol, "--store", str(store.path),
                                                    "--out", str(args.out)]))
    print(f"== browse it, search it and query it over HTTP: rune serve --store {store.path}")
    return status


def cmd_explain(args) -> int:
    from .explain import ExplainError, draw, entities_of, picture_of

    store = _open(args, read_only=True)
    result = _answer(args, store, limit=1, image=args.image)
    if not result.results:
        print(f"{result.fol} does not hold on {args.image}")
        return 1
    found = result.results[0]
    print(f"{found.image} ({found.source})  score {found.score:.3f}  {result.fol}")
    for w in found.witness:
        print(f"  {w.variable} = {w.entity}  {w.class_name}  confidence {w.confidence:.3f}")
    for fact in found.facts:
        print(f"  {fact.predicate}({', '.join(fact.args)})")
    for condition in found.conditions:
        print(f"  {condition}")
    print(f"  from graph {found.graph}, run {found.witness[0].run if found.witness else '-'}")
    if args.out:
        try:
            picture = args.picture or picture_of(store, found)
            print(f"drew {draw(found, picture, args.out, entities_of(store, found.image, found.source))}")
        except ExplainError as err:
            raise CommandError(str(err)) from None
    return 0


def cmd_serve(args) -> int:
    from .endpoint import EndpointError
    from .server import create_app
    from .translate import TranslationError

    given = {"STORE": args.store, "ENDPOINT": args.endpoint, "UPDATE_ENDPOINT": args.update_endpoint,
             "QUERY_TIMEOUT": args.timeout, "QUERY_WORKERS": args.query_workers,
             "CONFIG_FILE": args.config, "TRANSLATOR": args.translator, "LLM_MODEL": args.model,
             "LLM_URL": args.llm_url}
    try:
        app = create_app({k: str(v) if isinstance(v, Path) else v for k, v in given.items() if v is not None})
    except (TranslationError, EndpointError, ValueError) as err:
        raise CommandError(str(err)) from None
    if args.dev:
        app.run(args.host, args.port, threaded=True)
        return 0
    from waitress import create_server

    server = create_server(app, host=args.host, port=args.port, threads=args.threads, ident="rune-kg")
    print(f"rune-kg serving {app.extensions['rune'].store.location} on http://{args.host}:{server.effective_port}/ "
          f"(SPARQL at /sparql; Ctrl-C stops)", flush=True)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        app.extensions["rune"].pool.close()
    return 0


def cmd_eval(args) -> int:
    from .evaluation.run import EvalSpec, evaluate

    spec = EvalSpec(out=args.out, workdir=args.workdir, collections=tuple(args.collection), levels=tuple(args.levels),
                    uncertainty=tuple(args.uncertainty), methods=tuple(args.methods), per_level=args.per_level,
                    seed=args.seed, progress=not args.quiet, endpoint=args.endpoint,
                    update_endpoint=args.update_endpoint)
    try:
        report = evaluate(spec)
    except (ValueError, RuntimeError) as err:
        raise CommandError(str(err)) from None
    print((args.out / "report.md").read_text())
    print(f"wrote {args.out}/metrics.json, metrics.csv, outcomes.csv, report.md and "
          f"{len(report.questions) * 2} plots in {report.seconds['total']:.0f} s")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rune", description="rune-kg: query aerial images with logic over a knowledge graph")
    parser.add_argument("--version", action="version", version=f"rune-kg {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="read DOTA labelTxt or Task1 detection files into the store")
    p.add_argument("paths", nargs="+", type=Path, help="files or folders of .txt files")
    _store_arg(p)
    p.add_argument("--source", help="name of the annotation source / detection run "
                                    "(default: the source in a run.json beside detection files, else dota)")
    p.add_argument("--images", type=Path, help="folder of picture files named <image id>.png/.jpg/...")
    p.add_argument("--workers", type=int, default=None, help="worker processes (default: all cores)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("detect", help="find objects in pictures with an mmrotate oriented-box detector")
    p.add_argument("images", nargs="+", type=Path, help="picture files or folders of them (.png, .jpg, .tif, ...)")
    p.add_argument("--config", required=True,
                   help="mmrotate model config: a file, or the name of a bundled one "
                        "(e.g. rotated_retinanet_obb_r50_fpn_1x_dota_le90)")
    p.add_argument("--checkpoint", required=True, type=Path, help="the model's weights (.pth)")
    p.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N (default cpu)")
    p.add_argument("--score-thr", type=float, default=0.3, help="keep detections scoring at least this (default 0.3)")
    p.add_argument("--merge-iou", type=float, default=0.1,
                   help="rotated-NMS IoU threshold when merging overlapping tiles (default 0.1)")
    p.add_argument("--tile", type=int, default=1024, help="tile side in pixels (default 1024)")
    p.add_argument("--overlap", type=int, default=200, help="tile overlap in pixels (default 200)")
    p.add_argument("--batch", type=int, default=1, help="tiles per forward pass (default 1; more can pay on a GPU)")
    p.add_argument("--classes", help="a TOML file mapping model classes to ontology classes, or a bundled "
                                     "mapping: dior, fair1m (default: the model's classes are DOTA names)")
    p.add_argument("--out", type=Path, help="write DOTA Task1_<class>.txt detection files here")
    p.add_argument("--ingest", action="store_true", help="put the detections into the store, with the run's provenance")
    _store_arg(p)
    p.add_argument("--source", help="source name of the run in the store (default: the config's name)")
    p.add_argument("--workers", type=int, default=None, help="ingest worker processes (default: all cores)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=cmd_detect)

    p = sub.add_parser("sparql", help="run a SPARQL 1.1 query on the store ('-' reads it from stdin)")
    p.add_argument("query")
    _store_arg(p)
    p.add_argument("--format", default="json", choices=sorted(set(RESULT_FORMATS) | set(GRAPH_FORMATS)),
                   help="json|csv|tsv|xml for SELECT/ASK; turtle|ntriples|xml|json(-ld) for CONSTRUCT/DESCRIBE")
    p.add_argument("--update", action="store_true", help="run a SPARQL update (the store is read-only otherwise)")
    p.set_defaults(func=cmd_sparql)

    p = sub.add_parser("load", help="load an RDF file (Turtle, N-Triples, N-Quads, TriG, JSON-LD, RDF/XML) into a named graph")
    p.add_argument("file", type=Path)
    p.add_argument("--graph", help="the named graph (default: <data>/graph/load/<file stem>; N-Quads/TriG keep theirs)")
    _store_arg(p)
    p.set_defaults(func=cmd_load)

    p = sub.add_parser("export", help="write the whole store as RDF")
    p.add_argument("--format", default="nquads", choices=list(EXPORT_FORMATS),
                   help="nquads/trig keep the named graphs; the others write their union (default nquads)")
    p.add_argument("--out", type=Path, help="file to write (default: standard output)")
    _store_arg(p)
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("stats", help="count images, entities per class and triples")
    _store_arg(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_stats)

    p = sub.add_parser("query", help="answer a question in English or a first-order-logic formula with ranked images")
    p.add_argument("question", nargs="?", help="e.g. 'four cars in a column next to a tennis court'")
    p.add_argument("--fol", help="a formula instead (QUERY_LANGUAGE.md), e.g. 'ship(a) & harbor(b) & near(a, b)'")
    p.add_argument("--translator", default="embedded", choices=["embedded", "transformers", "openai"],
                   help="English -> formula: embedded rules (default, no model) or an LLM backend")
    p.add_argument("--model", help="LLM: a local model folder or .gguf file (transformers), a model name (openai; "
                                   "default $RUNE_LLM_MODEL)")
    p.add_argument("--llm-url", help="openai: the server's base URL (default $RUNE_LLM_URL)")
    p.add_argument("--samples", type=int, default=10, help="LLM: candidates to sample and vote on (default 10)")
    p.add_argument("--unconstrained", action="store_true",
                   help="transformers: sample freely instead of constraining decoding to the grammar")
    _store_arg(p)
    p.add_argument("--mode", default="scored", choices=["scored", "crisp"])
    p.add_argument("--limit", type=int, default=20, help="results to show (0: all)")
    p.add_argument("--tnorm", default="product", choices=["product", "minimum", "lukasiewicz"])
    p.add_argument("--source", help="only the entities of this source (default: every source)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_query)

    p = sub.add_parser("explain", help="why an image matches a formula: its witness, facts and a drawing")
    p.add_argument("image", help="image id, e.g. P0706")
    p.add_argument("--fol", required=True)
    _store_arg(p)
    p.add_argument("--out", type=Path, help="write the picture with the witness boxes here (.png, .jpg)")
    p.add_argument("--picture", type=Path, help="the image's picture file, if the store does not know it")
    p.add_argument("--mode", default="scored", choices=["scored", "crisp"])
    p.add_argument("--tnorm", default="product", choices=["product", "minimum", "lukasiewicz"])
    p.add_argument("--source", help="only the entities of this source")
    p.set_defaults(func=cmd_explain)

    p = sub.add_parser("serve", help="serve the store over HTTP: search page, search API, SPARQL endpoint, linked data")
    _store_arg(p)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 picks a free one)")
    p.add_argument("--config", type=Path, help="a TOML file of settings (default $RUNE_SERVER_CONFIG)")
    p.add_argument("--threads", type=int, default=4, help="request threads (default 4)")
    p.add_argument("--timeout", type=float, help="seconds a SPARQL query may run (default 30)")
    p.add_argument("--query-workers", type=int, help="processes that run SPARQL queries (default 2)")
    p.add_argument("--translator", choices=["embedded", "transformers", "openai"],
                   help="English -> formula for the search API (default embedded)")
    p.add_argument("--model", help="LLM translator: model folder, .gguf file or model name")
    p.add_argument("--llm-url", help="openai translator: the server's base URL")
    p.add_argument("--dev", action="store_true", help="Flask's development server instead of waitress")
    p.set_defaults(func=cmd_serve)

    from .evaluation.run import METHODS
    from .evaluation.collection import SIZES

    p = sub.add_parser("eval", help="the retrieval benchmark: methods x complexity levels x image uncertainty")
    p.add_argument("--out", type=Path, required=True, help="folder for metrics.json/.csv, plots and report.md")
    p.add_argument("--collection", nargs="+", default=["real", "dota-v1"], choices=list(SIZES),
                   help="real: the 25 real images; dota-v1: 2,800 resampled (DOTA v1.0's size); dota-x4: 11,200")
    p.add_argument("--levels", nargs="+", type=int, default=[1, 2, 3, 4, 5], choices=[1, 2, 3, 4, 5])
    p.add_argument("--uncertainty", nargs="+", type=float, default=[0.0, 0.2, 0.4, 0.6],
                   help="detector error levels in [0, 1] (0: the ground truth)")
    p.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    p.add_argument("--per-level", type=int, default=3, help="generated questions per level (default 3)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--workdir", type=Path, default=Path("rune-eval-work"),
                   help="collections and their stores, built once (default ./rune-eval-work)")
    p.add_argument("--endpoint", help="keep the (one) collection in this SPARQL endpoint instead of --workdir")
    p.add_argument("--update-endpoint", help="its update URL")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("demo", help="ingest the bundled DOTA sample and show what rune-kg does")
    _store_arg(p, remote=False)
    p.add_argument("--out", default="rune-demo.png", help="where to draw the first answer (default: rune-demo.png)")
    p.set_defaults(func=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (CommandError, StoreError, IngestError, IdentifierError, DetectError, OSError) as err:
        print(f"rune {args.command}: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
