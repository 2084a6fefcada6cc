"""rune ingest, detect, load, export, stats and sparql: getting data into the graph and out."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import CommandError
from ..options import GRAPH_FORMATS, RESULT_FORMATS
from .common import open_from_args, plural, store_options

if TYPE_CHECKING:
    import pyoxigraph as ox

    from ..kg import KnowledgeGraph

LAYER_SUFFIXES = (".geojson", ".gpkg", ".shp", ".fgb")  # GeoJSON, GeoPackage, Shapefile, FlatGeobuf
LOAD_FORMATS = {  # file ending -> the name of its pyoxigraph.RdfFormat
    ".ttl": "TURTLE",
    ".nt": "N_TRIPLES",
    ".nq": "N_QUADS",
    ".trig": "TRIG",
    ".jsonld": "JSON_LD",
    ".json": "JSON_LD",
    ".rdf": "RDF_XML",
    ".owl": "RDF_XML",
    ".xml": "RDF_XML",
}
EXPORT_FORMATS = {  # --format -> the name of its pyoxigraph.RdfFormat
    "nquads": "N_QUADS",
    "trig": "TRIG",
    "turtle": "TURTLE",
    "ntriples": "N_TRIPLES",
    "jsonld": "JSON_LD",
    "rdfxml": "RDF_XML",
}


def cmd_ingest(args) -> int:
    from ..ingest import ingest  # the stages: imported by the command that runs them, not by `rune`
    from ..ingest.classmaps import load_class_map
    from ..ingest.masks import MaskOptions
    from ..ingest.overlay import read_overlay
    from ..kg import Store

    masks = MaskOptions(
        load_class_map(args.class_map) if args.class_map else None, args.min_area, args.simplify
    )
    store = open_from_args(args)
    if args.compact and not isinstance(store, Store):
        raise CommandError("--compact is for an embedded store (--store DIR), not an endpoint")
    report = ingest(
        args.paths,
        store,
        source=args.source,
        images_dir=args.images,
        progress=not args.quiet,
        workers=args.workers,
        georef=args.georef,
        masks=masks,
        overlays=tuple(read_overlay(spec) for spec in args.overlay),
    )
    status = ingest_summary(report, store)
    if args.compact:
        started = time.perf_counter()
        print("compacting the store ...", flush=True)
        store.compact()
        print(f"compacted in {time.perf_counter() - started:.1f} s")
    return status


def ingest_summary(report, store: KnowledgeGraph) -> int:
    """Print an ingest's failures and counts; the exit status."""
    for failure in report.failures:
        print(f"error: {failure.reason}", file=sys.stderr)
    print(
        f"ingested {report.images} images, {report.entities} entities, {report.triples} triples "
        f"({report.relations} stored relations) as source {report.source!r} in "
        f"{report.seconds:.2f} s "
        f"into {store.location}"
    )
    if report.empty:
        print(f"  {report.empty} of them have no objects (an empty file, or nothing detected)")
    if report.zero_area:
        print(f"  {report.zero_area} boxes have zero area (kept; check those lines)")
    if report.failures:
        print(f"  {len(report.failures)} files failed (above): nothing of theirs was stored")
    return 1 if report.failures else 0


def cmd_detect(args) -> int:
    from ..detect import DetectOptions, detect  # torch and mmrotate: only for this command
    from ..ingest import ingest_images
    from ..ingest.dota import write_detection_files
    from ..ingest.runfile import RUN_FILE, write_run_file

    if not args.out and not args.ingest:
        raise CommandError(
            "say where the detections go: --out DIR (DOTA Task1 files) and/or --ingest (the store)"
        )
    store = (
        open_from_args(args) if args.ingest else None
    )  # before the long run, so a bad store fails first
    options = DetectOptions(
        args.config,
        args.checkpoint,
        args.device,
        args.score_thr,
        args.merge_iou,
        args.tile,
        args.overlap,
        args.batch,
        args.classes,
    )
    result = detect(args.images, options, progress=not args.quiet)
    for failure in result.failures:
        print(f"error: {failure.file}: {failure.reason}", file=sys.stderr)
    if result.mapping.unmapped:
        print(
            "note: dropped the model classes with no ontology class: "
            f"{', '.join(result.mapping.unmapped)}",
            file=sys.stderr,
        )
    objects = sum(len(image.objects) for image in result.images)
    rate = result.tiles / result.seconds if result.seconds else 0.0
    print(
        f"detected {plural(objects, 'object')} in {plural(len(result.images), 'image')} "
        f"({plural(result.tiles, 'tile')}) in {result.seconds:.1f} s ({rate:.2f} tiles/s) "
        f"on {result.detector.device}"
    )
    run = result.run_info(args.source or result.detector.config_path.stem)
    if args.out:
        files = write_detection_files(result.images, args.out)
        write_run_file(args.out, run, result.pictures)
        print(
            f"wrote {len(files)} DOTA Task1 files and {RUN_FILE} (the run's provenance) to "
            f"{args.out}"
        )
    if args.ingest:
        report = ingest_images(
            result.images,
            store,
            run,
            result.pictures,
            progress=not args.quiet,
            workers=args.workers,
        )
        if ingest_summary(report, store):
            return 1
    return 1 if result.failures else 0


def cmd_sparql(args) -> int:
    store = open_from_args(args, read_only=not args.update)
    text = args.query if args.query != "-" else sys.stdin.read()
    try:
        if args.update:  # the same default-graph rule as the server's (endpoint/updates.py)
            from ..endpoint.updates import prepare_update

            store.update(prepare_update(text).text)
            print("update done")
            return 0
        body = store.query_serialized(text, args.format)
    except SyntaxError as err:
        from ..kg.diagnose import diagnose

        raise CommandError(diagnose(text, err, update=args.update)) from None
    sys.stdout.buffer.write(body.rstrip(b"\n") + b"\n")
    return 0


def cmd_load(args) -> int:
    import pyoxigraph as ox

    from ..kg import iris

    fmt = LOAD_FORMATS.get(args.file.suffix.lower())
    if args.file.suffix.lower() in LAYER_SUFFIXES:
        from ..ingest.layers import layer_triples

        graph = ox.NamedNode(args.graph) if args.graph else iris.loaded_graph(args.file.stem)
        triples = layer_triples(args.file, args.class_name, args.layer, args.label)
        return _put(args, {graph: triples})
    if args.class_name or args.layer or args.label:
        raise CommandError(
            f"--class, --layer and --label are for vector layers ({', '.join(LAYER_SUFFIXES)})"
        )
    if fmt is None:
        raise CommandError(
            f"cannot tell the format of {args.file.name} (known endings: {', '.join(LOAD_FORMATS)})"
        )
    default = ox.NamedNode(args.graph) if args.graph else iris.loaded_graph(args.file.stem)
    graphs: dict[ox.NamedNode, list[ox.Triple]] = {}
    try:
        with args.file.open("rb") as f:
            for quad in ox.parse(f, format=getattr(ox.RdfFormat, fmt)):
                graph = (
                    default
                    if args.graph or isinstance(quad.graph_name, ox.DefaultGraph)
                    else quad.graph_name
                )
                graphs.setdefault(graph, []).append(quad.triple)
    except SyntaxError as err:
        raise CommandError(f"{args.file}: {err}") from None
    return _put(args, graphs)


def _put(args, graphs: dict[ox.NamedNode, list[ox.Triple]]) -> int:
    """Store each graph's triples, replacing what it held."""
    import pyoxigraph as ox

    store = open_from_args(args)
    store.put_graphs(
        [(g, ox.serialize(t, format=ox.RdfFormat.N_TRIPLES).decode()) for g, t in graphs.items()]
    )
    store.flush()
    print(
        f"loaded {sum(map(len, graphs.values()))} triples into "
        f"{', '.join(g.value for g in graphs)} "
        f"of {store.location} (each graph replaced whole)"
    )
    return 0


def cmd_geo(args) -> int:
    from ..kg.topology import materialise

    store = open_from_args(args, create=False)  # relations of a store that has geometries
    report = materialise(store)
    written = sum(report.triples.values())
    print(
        f"compared {plural(report.pairs, 'pair')} of geometries; wrote {plural(written, 'triple')}"
        + "".join(f"\n  geo:{r}: {n}" for r, n in report.triples.items() if n)
    )
    if args.rdfs:
        from ..kg.entailment import entail

        print(f"RDFS entailment: wrote {plural(entail(store), 'triple')}")
    store.flush()
    return 0


def cmd_export(args) -> int:
    import pyoxigraph as ox

    fmt = getattr(ox.RdfFormat, EXPORT_FORMATS[args.format])
    store = open_from_args(args, read_only=True)
    out = args.out.open("wb") if args.out else sys.stdout.buffer
    try:
        store.export(out, fmt)
    finally:
        if args.out:
            out.close()
    return 0


def cmd_stats(args) -> int:
    from ..kg.stats import collection_stats

    stats = collection_stats(open_from_args(args, read_only=True))
    if args.json:
        print(json.dumps(stats, indent=2))
        return 0
    print(
        f"images:   {stats['images']}\nentities: {stats['entities']}\ntriples:  {stats['triples']}"
    )
    print(f"runs:     {', '.join(stats['runs']) or '-'}")
    for name, count in stats["classes"].items():
        print(f"  {name:<20} {count}")
    return 0


def register(sub) -> None:
    """The data commands' parsers."""
    p = sub.add_parser(
        "ingest",
        help="read label files (DOTA, xBD, masks, tables of boxes) into the store",
    )
    p.add_argument(
        "paths",
        nargs="+",
        type=Path,
        help="label files or folders of them: DOTA labelTxt / Task1 .txt, xBD .json, tables of "
        "boxes .csv, iSAID *_instance_id_RGB.png, class masks (.png/.tif with --class-map)",
    )
    store_options(p)
    p.add_argument(
        "--source",
        help="name of the annotation source / detection run "
        "(default: the source in a run.json beside detection files, else dota)",
    )
    p.add_argument(
        "--images", type=Path, help="folder of picture files named <image id>.png/.jpg/..."
    )
    p.add_argument(
        "--class-map",
        help="read .png/.tif files as class-index masks through this class map: floodnet, xbd, "
        "or a TOML file (class values -> classes); tables of boxes default to xbd-levels",
    )
    p.add_argument(
        "--min-area",
        type=float,
        default=4.0,
        help="masks: drop regions smaller than this, in square pixels (default 4)",
    )
    p.add_argument(
        "--simplify",
        type=float,
        default=0.5,
        help="masks: outline simplification tolerance in pixels (default 0.5; 0 keeps the "
        "pixel staircase)",
    )
    p.add_argument(
        "--overlay",
        action="append",
        default=[],
        metavar="FILE=CLASS",
        help="lay a vector layer's features (GeoJSON, GeoPackage, Shapefile) onto the "
        "georeferenced images as entities of CLASS, so formulas relate them (repeatable)",
    )
    p.add_argument(
        "--georef",
        type=Path,
        help="CSV placing images on Earth: image,crs,x,y,gsd (upper-left corner and pixel size "
        "in CRS units, north up); over the pictures' own GeoTIFF or world-file georeference",
    )
    p.add_argument(
        "--workers", type=int, default=None, help="worker processes (default: all cores)"
    )
    p.add_argument(
        "--compact",
        action="store_true",
        help="compact the embedded store afterwards: SPARQL scans 3-5 times faster, e.g. before "
        "`rune serve` (DOTA v1.0: 14 s more)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_ingest)
    p = sub.add_parser(
        "detect", help="find objects in pictures with an mmrotate oriented-box detector"
    )
    p.add_argument(
        "images",
        nargs="+",
        type=Path,
        help="picture files or folders of them (.png, .jpg, .tif, ...)",
    )
    p.add_argument(
        "--config",
        required=True,
        help="mmrotate model config: a file, or the name of a bundled one "
        "(e.g. rotated_retinanet_obb_r50_fpn_1x_dota_le90)",
    )
    p.add_argument("--checkpoint", required=True, type=Path, help="the model's weights (.pth)")
    p.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N (default cpu)")
    p.add_argument(
        "--score-thr",
        type=float,
        default=0.3,
        help="keep detections scoring at least this (default 0.3)",
    )
    p.add_argument(
        "--merge-iou",
        type=float,
        default=0.1,
        help="rotated-NMS IoU threshold when merging overlapping tiles (default 0.1)",
    )
    p.add_argument("--tile", type=int, default=1024, help="tile side in pixels (default 1024)")
    p.add_argument("--overlap", type=int, default=200, help="tile overlap in pixels (default 200)")
    p.add_argument(
        "--batch",
        type=int,
        default=1,
        help="tiles per forward pass (default 1; more can pay on a GPU)",
    )
    p.add_argument(
        "--classes",
        help="a TOML file mapping model classes to ontology classes, or a bundled "
        "mapping: dior, fair1m (default: the model's classes are DOTA names)",
    )
    p.add_argument("--out", type=Path, help="write DOTA Task1_<class>.txt detection files here")
    p.add_argument(
        "--ingest",
        action="store_true",
        help="put the detections into the store, with the run's provenance",
    )
    store_options(p)
    p.add_argument(
        "--source", help="source name of the run in the store (default: the config's name)"
    )
    p.add_argument(
        "--workers", type=int, default=None, help="ingest worker processes (default: all cores)"
    )
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=cmd_detect)
    p = sub.add_parser(
        "sparql", help="run a SPARQL 1.1 query on the store ('-' reads it from stdin)"
    )
    p.add_argument("query")
    store_options(p)
    p.add_argument(
        "--format",
        default="json",
        choices=sorted(set(RESULT_FORMATS) | set(GRAPH_FORMATS)),
        help="json|csv|tsv|xml for SELECT/ASK; "
        "turtle|ntriples|xml|json(-ld) for CONSTRUCT/DESCRIBE",
    )
    p.add_argument(
        "--update",
        action="store_true",
        help="run a SPARQL update (the store is read-only otherwise)",
    )
    p.set_defaults(func=cmd_sparql)
    p = sub.add_parser(
        "load",
        help="load an RDF file (Turtle, N-Triples, N-Quads, TriG, JSON-LD, RDF/XML) or a "
        "vector layer (GeoJSON, GeoPackage, Shapefile, FlatGeobuf) into a named graph",
    )
    p.add_argument("file", type=Path)
    p.add_argument(
        "--class",
        dest="class_name",
        help="layers: the rune class of every feature (e.g. plane); default: geo:Feature only",
    )
    p.add_argument("--layer", help="the layer to read from a multi-layer file (a GeoPackage)")
    p.add_argument(
        "--label", help="layers: the attribute that names each feature (rdfs:label), e.g. name"
    )
    p.add_argument(
        "--graph",
        help="the named graph (default: <data>/graph/load/<file stem>; N-Quads/TriG keep theirs)",
    )
    store_options(p)
    p.set_defaults(func=cmd_load)
    p = sub.add_parser(
        "geo",
        help="GeoSPARQL: materialise writes the topology vocabulary (geo:sfWithin ...) as "
        "triples between the features and geometries of each named graph",
    )
    p.add_argument("action", choices=["materialise"])
    p.add_argument(
        "--rdfs",
        action="store_true",
        help="also write the RDFS entailments (sub-classes, sub-properties, domains, ranges) "
        "of every named graph, e.g. `?f a geo:Feature` for a subclass's instances",
    )
    store_options(p)
    p.set_defaults(func=cmd_geo)
    p = sub.add_parser("export", help="write the whole store as RDF")
    p.add_argument(
        "--format",
        default="nquads",
        choices=list(EXPORT_FORMATS),
        help="nquads/trig keep the named graphs; the others write their union (default nquads)",
    )
    p.add_argument("--out", type=Path, help="file to write (default: standard output)")
    store_options(p)
    p.set_defaults(func=cmd_export)
    p = sub.add_parser("stats", help="count images, entities per class and triples")
    store_options(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_stats)
