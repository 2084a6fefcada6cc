"""rune query, explain and demo: questions and formulas answered, explained and drawn."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..errors import CommandError, ExplainError, ServerRefused, TranslationError
from ..options import LLM_SECONDS, MODES, TNORMS, TRANSLATORS
from .common import open_from_args, store_options

SAMPLE_DIR = Path(__file__).resolve().parents[1] / "data" / "sample"


def cmd_query(args) -> int:
    if (args.question is None) == (args.fol is None):
        raise CommandError("give a question in English or --fol FORMULA (one of them)")
    reply = _served(args) if args.server else _answered(args)
    if args.json:
        print(json.dumps(reply, indent=2))
    else:
        _print_reply(reply)
    return 0


def _answered(args) -> dict:
    """The answer of this process's own engine, on the store of --store or --endpoint."""
    from ..ask import ask  # the stages: imported by the command that runs them, not by `rune`
    from ..translate import open_translator

    store = open_from_args(args, read_only=True)
    try:
        translator = (
            "embedded"
            if args.question is None
            else open_translator(
                args.translator,
                model=args.model,
                url=args.llm_url,
                constrained=not args.unconstrained,
            )
        )
        return ask(
            store,
            args.question,
            args.fol,
            translator=translator,
            samples=args.samples,
            llm_seconds=args.llm_seconds,
            mode=args.mode,
            tnorm=args.tnorm,
            source=args.source,
            limit=args.limit,
            gazetteer=args.gazetteer,
        ).to_json()
    except TranslationError as err:
        raise _untranslated(args.question, str(err), err.suggestions) from None


# the options the server decides for itself (its store, translator and gazetteer)
_SERVER_OWN = (
    "store",
    "endpoint",
    "update_endpoint",
    "translator",
    "model",
    "llm_url",
    "samples",
    "llm_seconds",
    "unconstrained",
    "gazetteer",
)


def _served(args) -> dict:
    """The answer of the rune server at --server (rune serve: its store, translator, gazetteer)."""
    from .client import search

    given = [name for name, default in args.server_own.items() if getattr(args, name) != default]
    if given:
        flags = ", ".join("--" + name.replace("_", "-") for name in given)
        raise CommandError(
            f"--server answers with the server's own store, translator and gazetteer: drop {flags}"
        )
    params = {"q": args.question, "fol": args.fol, "mode": args.mode, "tnorm": args.tnorm}
    params.update(limit=args.limit, source=args.source)
    try:
        return search(args.server, params)
    except ServerRefused as err:
        if "suggestions" not in err.body:
            raise
        raise _untranslated(args.question, err.body["error"], err.body["suggestions"]) from None


def _untranslated(question: str, why: str, suggestions: list[str]) -> CommandError:
    nearby = "; ".join(repr(q) for q in suggestions)
    hint = f" Nearby questions it understands: {nearby}." if nearby else ""
    return CommandError(f"cannot translate {question!r}: {why}{hint}")


def _print_reply(reply: dict) -> None:
    """An answer as `rune query` prints it: the translation, the formula, the ranked images."""
    if "translator" in reply:
        candidates = reply["candidates"]
        votes = (
            f", {max(c['votes'] for c in candidates)} of {len(candidates)} candidates agree"
            if candidates
            else ""
        )
        print(f"{reply['question']!r} -> ({reply['translator']}{votes})")
        if reply["translator"] != "embedded":
            print("  (written by an LLM: check that the formula says what you asked)")
    print(reply["fol"])
    if reply["contradiction"]:
        print(f"  no image can match: {reply['contradiction']}")
    results, matched = reply["results"], reply["matched"]
    print(f"{matched} images match ({reply['mode']}, {reply['timing_ms']['total']:.1f} ms)")
    several = len({r["source"] for r in results}) > 1  # the same image id in two sources
    for r in results:
        who = ", ".join(
            f"{w['variable']}={w['class_name']}#{w['entity'].rsplit('/', 1)[-1]}"
            for w in r["witness"]
        )
        where = f" ({r['source']})" if several else ""
        print(f"  {r['image']}{where}  score {r['score']:.3f}  {who}")
        if r["places"]:
            print(f"    in {', '.join(p['name'] for p in r['places'])}")
    if len(results) < matched:
        print(f"showing {len(results)} of {matched} (--limit 0 shows all)")


def cmd_demo(args) -> int:
    if args.use_case == "flood":
        from .flood import flood_demo

        return flood_demo(args, _run)
    from ..ingest import ingest
    from ..kg.stats import collection_stats

    store = open_from_args(args)
    print(f"== ingesting the sample DOTA annotations ({SAMPLE_DIR / 'labelTxt'})")
    report = ingest(
        [SAMPLE_DIR / "labelTxt"],
        store,
        source="dota",
        images_dir=SAMPLE_DIR / "images",
        progress=False,
    )
    print(
        f"   {report.images} images, {report.entities} entities, {report.triples} triples, "
        f"{report.seconds:.2f} s"
    )
    print("== entities per class (rune stats)")
    for name, count in collection_stats(store)["classes"].items():
        print(f"   {name:<20} {count}")
    print("== SPARQL: images with a ship near a harbor (rune sparql)")
    query = (
        "SELECT ?id (COUNT(DISTINCT ?s) AS ?ships) WHERE { ?s a rune:Ship ; rune:inImage ?i . "
        "?h a rune:Harbor . ?s rune:near|^rune:near ?h . ?i rune:imageId ?id "
        "} GROUP BY ?id ORDER BY DESC(?ships)"
    )
    for row in store.query(query):
        print(f"   {row['id'].value}: {row['ships'].value} ships near a harbor")
    path = str(store.path)
    del store  # closed before the commands open it read-only: its compactions delete files
    question = "a ship with no other ship near it"
    print(f"== a question in English, translated to logic (rune query '{question}' --mode crisp)")
    _run(["query", question, "--store", path, "--mode", "crisp", "--limit", "5"])
    fol = "ship(s) & harbor(h) & near(s, h) & left_of(s, h)"
    print(
        "== why P0706 has a ship left of a harbor, drawn on its picture (rune explain P0706 "
        f"--fol '{fol}' --out {args.out})"
    )
    status = _run(["explain", "P0706", "--fol", fol, "--store", path, "--out", str(args.out)])
    print(f"== browse it, search it and query it over HTTP: rune serve --store {path}")
    return status


def cmd_explain(args) -> int:
    from ..ask import ask
    from ..query.explain import draw, entities_of, picture_of  # Pillow: only for this command
    from ..translate import open_translator

    if (args.question is None) == (args.fol is None):
        raise CommandError("give a question in English or --fol FORMULA (one of them)")
    store = open_from_args(args, read_only=True)
    try:
        result = ask(
            store,
            args.question,
            args.fol,
            translator=open_translator("auto") if args.question else "embedded",
            mode=args.mode,
            tnorm=args.tnorm,
            source=args.source,
            limit=1,
            image=args.image,
        ).answer
    except TranslationError as err:
        raise CommandError(f"cannot translate {args.question!r}: {err}") from None
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
        except ExplainError as err:
            raise CommandError(f"{err}: pass --picture FILE, or ingest with --images DIR") from None
        print(
            f"drew {draw(found, picture, args.out, entities_of(store, found.image, found.source))}"
        )
    return 0


def _run(argv: list[str]) -> int:
    """Run one of this module's commands as `rune` would (the demo shows them being used)."""
    parser = argparse.ArgumentParser(prog="rune")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


def register(sub) -> None:
    """The question commands' parsers."""
    p = sub.add_parser(
        "query",
        help="answer a question in English or a first-order-logic formula with ranked images",
    )
    p.add_argument(
        "question", nargs="?", help="e.g. 'four cars in a column next to a tennis court'"
    )
    p.add_argument(
        "--fol",
        help="a formula instead (docs/query-language.md), e.g. 'ship(a) & harbor(b) & near(a, b)'",
    )
    p.add_argument(
        "--translator",
        default="auto",
        choices=list(TRANSLATORS),
        help="English -> formula: auto (default: the embedded rules, then the LLM given by "
        "--model/--llm-url or $RUNE_LLM_MODEL/$RUNE_LLM_URL when they refuse), embedded, or an "
        "LLM: llama-cpp (a .gguf file), transformers, openai (a server)",
    )
    p.add_argument(
        "--model",
        help="LLM: a local .gguf file (llama-cpp, transformers), a model folder (transformers), "
        "a model name (openai); default $RUNE_LLM_MODEL",
    )
    p.add_argument("--llm-url", help="openai: the server's base URL (default $RUNE_LLM_URL)")
    p.add_argument(
        "--samples", type=int, default=5, help="LLM: candidates to sample and vote on (default 5)"
    )
    p.add_argument(
        "--llm-seconds",
        type=float,
        default=LLM_SECONDS,
        help=f"LLM: start no sample after this many seconds once one is valid "
        f"(default {LLM_SECONDS:g})",
    )
    p.add_argument(
        "--unconstrained",
        action="store_true",
        help="transformers: sample freely instead of constraining decoding to the grammar",
    )
    store_options(p)
    p.add_argument("--mode", default="scored", choices=MODES)
    p.add_argument("--limit", type=int, default=20, help="results to show (0: all)")
    p.add_argument("--tnorm", default="product", choices=TNORMS)
    p.add_argument("--source", help="only the entities of this source (default: every source)")
    p.add_argument(
        "--gazetteer",
        help="name the places georeferenced results lie in: 'store' (named features in the "
        "same store) or a SPARQL endpoint URL (reached with SERVICE)",
    )
    p.add_argument(
        "--server",
        help="ask a running `rune serve` at this URL (e.g. http://127.0.0.1:8000) instead of "
        "opening a store: its warm engine answers, this process only starts a client",
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(
        func=cmd_query,
        exit_at_once=True,
        server_own={name: p.get_default(name) for name in _SERVER_OWN},  # their defaults
    )
    p = sub.add_parser(
        "explain", help="why an image matches a formula: its witness, facts and a drawing"
    )
    p.add_argument("image", help="image id, e.g. P0706")
    p.add_argument("question", nargs="?", help="in English, e.g. 'a ship left of a harbor'")
    p.add_argument("--fol", help="or a first-order-logic formula (docs/query-language.md)")
    store_options(p)
    p.add_argument(
        "--out", type=Path, help="write the picture with the witness boxes here (.png, .jpg)"
    )
    p.add_argument(
        "--picture", type=Path, help="the image's picture file, if the store does not know it"
    )
    p.add_argument("--mode", default="scored", choices=MODES)
    p.add_argument("--tnorm", default="product", choices=TNORMS)
    p.add_argument("--source", help="only the entities of this source")
    p.set_defaults(func=cmd_explain)
    p = sub.add_parser("demo", help="ingest the bundled DOTA sample and show what rune-kg does")
    store_options(p, remote=False)
    p.add_argument(
        "--out",
        default="rune-demo.png",
        help="where to draw the first answer (default: rune-demo.png)",
    )
    p.add_argument(
        "--use-case",
        choices=["dota", "flood"],
        default="dota",
        help="flood: buildings damaged by a disaster, from your xBD data (--data)",
    )
    p.add_argument(
        "--data", help="flood: a folder of xBD label files, damage masks, florence_bbox.csv"
    )
    p.set_defaults(func=cmd_demo)
