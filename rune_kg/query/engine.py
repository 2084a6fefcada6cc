"""Answer stage: Plan -> Answer. Each clause is decided on its conditioned subset (the worlds
whose class counts allow it, and in each only the entities of the classes it can use),
cheapest clause first; survivors are ranked and explained with their witnesses.

A world is one image as one source sees it (one named graph); with a single source, one image.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field, replace

import numpy as np
import pyoxigraph as ox

from ..errors import QueryError
from ..kg import KnowledgeGraph, iris
from ..kg.geometry import DEFAULT_THRESHOLDS, Thresholds
from ..kg.index import CLASSES, EntityIndex, class_codes, load_index
from ..kg.wkt import polygon_wkt
from ..options import MODES
from ..vocab import ONTOLOGY, stored_predicates
from . import pairs, trees, unary
from .consistency import contradiction
from .formula import Atom, Formula, canonical, conjuncts
from .parse import parse
from .plan import ALL_CLASSES, Clause, class_range, plan
from .sparql import rewrite
from .tnorms import TNORMS, TNorm
from .worlds import Env, World, check_deadline, holds, search

STORED_RELATIONS = stored_predicates()


@dataclass(frozen=True)
class WitnessEntity:
    variable: str
    entity: str  # IRI
    class_name: str
    confidence: float
    wkt: str  # the box or polygon outline, GeoSPARQL WKT in image pixels
    run: str  # IRI of the detection run that produced it


@dataclass(frozen=True)
class Fact:
    predicate: str
    args: tuple[str, ...]  # variables
    entities: tuple[str, ...]  # IRIs


@dataclass(frozen=True)
class Place:
    """A gazetteer's named feature that an image's footprint meets (query/places.py)."""

    name: str
    iri: str


@dataclass(frozen=True)
class Result:
    image: str  # id, e.g. P0706
    source: str
    image_iri: str
    graph: str  # the named graph the entities come from
    score: float
    witness: list[WitnessEntity] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)  # relations between witness entities that held
    conditions: list[str] = field(
        default_factory=list
    )  # the other conjuncts that held, as formulas
    place: str | None = None  # the image's footprint on Earth (CRS84 WKT), when georeferenced
    places: list[Place] = field(default_factory=list)  # named places it meets, from a gazetteer


@dataclass
class Answer:
    fol: str
    mode: str
    tnorm: str
    thresholds: dict
    clauses: list[dict]
    sparql: list[str]
    results: list[Result]
    matched: int
    timing_ms: dict
    contradiction: str | None = None  # why no image can match (query.consistency), if known

    def to_json(self) -> dict:
        return asdict(self)


def class_totals(index: EntityIndex) -> dict[str, int]:
    """Entities per class predicate (subclasses included) in the whole index."""
    per_class = index.class_counts_by_world.sum(axis=0, dtype=np.int64)
    return {name: int(per_class[class_codes(name)].sum()) for name in ONTOLOGY.classes}


def variable_order(clause: Clause, totals: dict[str, int]) -> tuple[str, ...]:
    """Most selective first: the rarest class, then variables tied to those chosen by a stored
    relation, then by any relation, then the rarest."""
    parts = conjuncts(clause.formula)
    everything = sum(totals.get(c, 0) for c in ALL_CLASSES)

    def size(v: str) -> int:
        classes = [
            p.predicate
            for p in parts
            if isinstance(p, Atom) and p.args == (v,) and p.predicate in totals
        ]
        return min((totals[c] for c in classes), default=everything)

    chosen: list[str] = []
    remaining = list(clause.variables)
    while remaining:

        def key(v: str):
            links = [
                p
                for p in parts
                if isinstance(p, Atom)
                and v in p.args
                and len(p.args) == 2
                and set(p.args) - {v} <= set(chosen)
            ]
            stored = any(p.predicate in STORED_RELATIONS for p in links)
            return (0 if stored else 1 if links else 2, size(v), clause.variables.index(v))

        best = min(remaining, key=key)
        chosen.append(best)
        remaining.remove(best)
    return tuple(chosen)


def _check_thresholds(thresholds: Thresholds) -> None:
    fixed = ("near_factor", "far_factor", "inside_ratio")
    changed = [f for f in fixed if getattr(thresholds, f) != getattr(DEFAULT_THRESHOLDS, f)]
    if changed:
        raise QueryError(
            f"{', '.join(changed)} are fixed when the store is built (stored relations); "
            "only parallel_degrees can change per query"
        )


def _candidates(index: EntityIndex, clause: Clause, worlds: np.ndarray) -> np.ndarray:
    """The worlds whose class counts meet the clause's requirements and that hold, for each
    stored relation the clause requires between two of its variables, a pair of the right
    classes (read from the index's table of the class pairs each relation links, by world)."""
    keep = np.ones(len(worlds), dtype=bool)
    for name, n in clause.requirements:
        keep &= index.class_counts(name)[worlds] >= n
    parts = conjuncts(clause.formula)
    for part in parts:
        if isinstance(part, Atom) and part.predicate in STORED_RELATIONS and keep.any():
            x, y = part.args if part.predicate != "contains" else part.args[::-1]
            name = "inside" if part.predicate == "contains" else part.predicate
            keep &= index.worlds_with_pair(name, class_range(x, parts), class_range(y, parts))[
                worlds
            ]
    return worlds[keep]


def _decide_clause(
    index: EntityIndex,
    clause: Clause,
    order: tuple[str, ...],
    worlds: np.ndarray,
    thresholds: Thresholds,
    deadline: float | None = None,
) -> dict[int, Env]:
    """world -> the clause's witness (variable -> index row; greedy, most confident first), for
    the worlds among `worlds` where it holds: all at once for the one-variable shapes of
    unary.py, the two-variable ones of pairs.py and the tree-shaped ones of trees.py (but for
    the worlds they leave), else world by world on each world's subset."""
    candidates = _candidates(index, clause, worlds)
    found = unary.decide(index, clause, candidates, thresholds)
    if found is not None:
        return found
    found = {}
    if pairs.applies(clause):
        found, candidates = pairs.decide(index, clause, order, candidates, thresholds)
    elif trees.applies(clause):
        found, candidates = trees.decide(index, clause, order, candidates, thresholds)
    universe = None if clause.universe >= ALL_CLASSES else clause.universe
    for w in candidates.tolist():
        check_deadline(deadline)
        world = World(index, w, universe, thresholds)
        if not order:
            witness = {} if holds(world, clause.formula, {}) else None
        else:
            witness = search(world, order, clause.formula, {}, best_first=True, deadline=deadline)
        if witness is not None:
            found[w] = {v: int(world.rows[p]) for v, p in witness.items()}
    return found


def _ranked(index: EntityIndex, scores: dict[int, float]) -> list[int]:
    """The worlds scored above 0, best first; ties by image id, then source."""
    worlds = np.fromiter(scores, dtype=np.int64, count=len(scores))
    score = np.fromiter(scores.values(), dtype=np.float64, count=len(scores))
    worlds, score = worlds[score > 0], score[score > 0]
    order = np.lexsort((index.source[worlds], index.image_id[worlds], -score))
    return worlds[order].tolist()


def answer(
    text_or_formula: str | Formula,
    store: KnowledgeGraph,
    mode: str = "scored",
    limit: int = 20,
    tnorm: str = "product",
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    source: str | None = None,
    image: str | None = None,
    seconds: float | None = None,
) -> Answer:
    """Answer a FOL query: ranked images (score > 0), each with a witness and its facts.

    crisp: score 1 for every image that satisfies the formula. scored: each clause scores an
    image by the t-norm of its witness's confidences, the witness chosen greedily (in the
    plan's variable order, each variable the most confident entity that still has a
    completion); clause scores combine by the same t-norm. `source` and `image` restrict the
    answer to one source's worlds, or to one image. With `seconds`, a search that runs longer
    raises AnswerTimeout.
    """
    deadline = time.monotonic() + seconds if seconds is not None else None
    if mode not in MODES:
        raise QueryError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    if tnorm not in TNORMS:
        raise QueryError(f"t-norm must be one of {', '.join(TNORMS)}, got {tnorm!r}")
    if limit < 0:
        raise QueryError(f"limit must be 0 (all) or more, got {limit}")
    _check_thresholds(thresholds)
    operator: TNorm = TNORMS[tnorm]
    timing: dict = {}
    t0 = time.perf_counter()
    formula = parse(text_or_formula) if isinstance(text_or_formula, str) else text_or_formula
    t1 = time.perf_counter()
    timing["parse"] = (t1 - t0) * 1000
    the_plan = plan(formula)
    t2 = time.perf_counter()
    timing["plan"] = (t2 - t1) * 1000
    index = load_index(store)
    t3 = time.perf_counter()
    timing["index"] = (t3 - t2) * 1000

    totals = class_totals(index)
    orders = [variable_order(c, totals) for c in the_plan.clauses]
    worlds = np.arange(index.worlds)
    if source is not None:
        if source not in set(index.source.tolist()):
            raise QueryError(
                f"no source {source!r} in the store (known: "
                f"{', '.join(sorted(set(index.source.tolist())))})"
            )
        worlds = worlds[index.source[worlds] == source]
    if image is not None:
        if image not in set(index.image_id.tolist()):
            raise QueryError(f"no image {image!r} in the store")
        worlds = worlds[index.image_id[worlds] == image]

    # Cheapest first: the clause whose class requirements leave the fewest entities.
    sequence = sorted(
        range(len(the_plan.clauses)),
        key=lambda i: min(
            (totals.get(c, 0) for c, _ in the_plan.clauses[i].requirements), default=float("inf")
        ),
    )
    found: dict[int, dict[int, Env]] = {}  # clause -> world -> witness (variable -> index row)
    clause_ms = [0.0] * len(sequence)
    for i in sequence:
        started = time.perf_counter()
        found[i] = _decide_clause(
            index, the_plan.clauses[i], orders[i], worlds, thresholds, deadline
        )
        worlds = np.array(sorted(found[i]), dtype=np.int64)
        clause_ms[i] = (time.perf_counter() - started) * 1000
    timing["clauses"] = clause_ms

    t4 = time.perf_counter()
    scores = {}
    for w in worlds.tolist():
        if mode == "crisp":
            scores[w] = 1.0
        else:
            per_clause = [
                operator([float(index.conf[row]) for row in found[i][w].values()])
                for i in range(len(the_plan.clauses))
            ]
            scores[w] = operator(per_clause)
    ranked = _ranked(index, scores)
    shown = ranked if limit == 0 else ranked[:limit]
    results = [
        _explain(
            index,
            the_plan.clauses,
            w,
            scores[w],
            [found[i][w] for i in range(len(the_plan.clauses))],
        )
        for w in shown
    ]
    results = _outlined(store, results)
    if limit:
        results = _placed(store, results)
    t5 = time.perf_counter()
    timing["rank"] = (t5 - t4) * 1000
    timing["total"] = (t5 - t0) * 1000
    return Answer(
        fol=canonical(formula),
        mode=mode,
        tnorm=operator.name,
        thresholds=asdict(thresholds),
        clauses=[
            {
                "variables": list(c.variables),
                "order": list(o),
                "formula": canonical(c.formula),
                "requirements": dict(c.requirements),
                "universe": sorted(c.universe),
            }
            for c, o in zip(the_plan.clauses, orders)
        ],
        sparql=[rewrite(c, o, thresholds) for c, o in zip(the_plan.clauses, orders)],
        results=results,
        matched=len(ranked),
        timing_ms=timing,
        contradiction=contradiction(formula),
    )


_OUTLINES = (
    """SELECT ?e ?wkt WHERE {{ VALUES ?e {{ {entities} }} ?e geo:hasGeometry/geo:asWKT ?wkt }}"""
)


def _outlined(store: KnowledgeGraph, results: list[Result]) -> list[Result]:
    """The results with their polygon witnesses' outlines, read from the store (the index keeps
    boxes only)."""
    missing = sorted({w.entity for r in results for w in r.witness if w.wkt is None})
    if not missing:
        return results
    entities = " ".join(str(ox.NamedNode(e)) for e in missing)
    outlines = {
        row["e"].value: row["wkt"].value for row in store.query(_OUTLINES.format(entities=entities))
    }
    return [
        replace(r, witness=[replace(w, wkt=w.wkt or outlines[w.entity]) for w in r.witness])
        for r in results
    ]


_FOOTPRINTS = """SELECT ?image ?wkt WHERE {{ VALUES ?image {{ {images} }}
  ?image geo:hasDefaultGeometry/geo:asWKT ?wkt }}"""


# the footprints first: a plain join starts from every image (190 ms on DOTA v1.0, which has none)
_GEOREFERENCED = (
    "ASK { ?image geo:hasDefaultGeometry ?footprint FILTER EXISTS { ?image a rune:Image } }"
)


def _placed(store: KnowledgeGraph, results: list[Result]) -> list[Result]:
    """The results with their place: their image's footprint, for a georeferenced picture
    (looked up only in a store that has one, which is asked once per state of the store)."""
    known = store.cache.get("georeferenced")
    if known is None or known[0] != store.generation:
        known = store.cache["georeferenced"] = (store.generation, bool(store.query(_GEOREFERENCED)))
    if not results or not known[1]:
        return results
    images = " ".join(sorted({str(iris.image_iri(r.image)) for r in results}))
    footprints = {
        row["image"].value: row["wkt"].value
        for row in store.query(_FOOTPRINTS.format(images=images))
    }
    return [replace(r, place=footprints.get(r.image_iri)) for r in results]


def _explain(
    index: EntityIndex, clauses: tuple[Clause, ...], w: int, score: float, witnesses: list[Env]
) -> Result:
    """The witness entities with their boxes and provenance, the relation facts between them,
    and the other top-level conditions that held."""
    source, image_id = index.world_key(w)
    run = iris.run_iri(source).value
    assignment: dict[str, str] = {}
    witness = []
    for env in witnesses:
        for variable, row in env.items():
            entity = iris.entity_iri(source, image_id, row - int(index.offsets[w])).value
            assignment[variable] = entity
            witness.append(
                WitnessEntity(
                    variable,
                    entity,
                    CLASSES[index.cls[row]],
                    float(index.conf[row]),
                    None if index.polygon[row] else polygon_wkt(index.corners[row]),
                    run,
                )
            )
    facts, conditions = [], []
    for clause in clauses:
        for part in conjuncts(clause.formula):
            if isinstance(part, Atom) and len(part.args) == 2:
                facts.append(
                    Fact(part.predicate, part.args, tuple(assignment[a] for a in part.args))
                )
            elif not (isinstance(part, Atom) and len(part.args) == 1):
                conditions.append(canonical(part))
    return Result(
        image_id,
        source,
        iris.image_iri(image_id).value,
        iris.image_graph(source, image_id).value,
        score,
        witness,
        facts,
        conditions,
    )
