"""Answer stage: Plan -> Answer. Runs each clause's SPARQL on its conditioned subset,
cheapest first, intersects, ranks, and explains the top results with witnesses."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

import pyoxigraph as ox

from ..geometry import DEFAULT_THRESHOLDS, Thresholds
from ..iris import image_id_of
from ..store import Store
from .formula import Atom, Formula, canonical, conjuncts
from .logic import TNORMS, TNorm
from .parse import parse
from .plan import ALL_CLASSES, Clause, plan
from .rewrite import STORED_RELATIONS, ClauseSparql, candidates_sparql, rewrite, values_clause, values_rows

MODES = ("scored", "crisp")


class QueryError(ValueError):
    """A query that cannot run: bad mode or operator, or a store that rejects the SPARQL."""


@dataclass(frozen=True)
class WitnessEntity:
    variable: str
    entity: str  # IRI
    class_name: str
    confidence: float
    wkt: str
    run: str  # IRI of the detection run


@dataclass(frozen=True)
class Fact:
    predicate: str
    args: tuple[str, ...]  # variables
    entities: tuple[str, ...]  # IRIs


@dataclass(frozen=True)
class Result:
    image: str  # id, e.g. P0706
    image_iri: str
    score: float
    witness: list[WitnessEntity] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)
    conditions: list[str] = field(default_factory=list)  # other conjuncts that held, as formulas


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

    def to_json(self) -> dict:
        return asdict(self)


def _rows(store: Store, sparql: str) -> list[ox.QuerySolution]:
    try:
        return list(store.query(sparql))
    except (SyntaxError, OSError) as err:
        raise QueryError(f"the store rejected the generated SPARQL: {err}") from err


_CLASS_TOTALS = """PREFIX rune: <https://w3id.org/rune-kg/ontology#>
SELECT ?name (SUM(?n) AS ?total) WHERE { ?c rune:countedClassName ?name ; rune:count ?n } GROUP BY ?name"""


def class_totals(store: Store) -> dict[str, int]:
    """Entities per class in the whole store (superclasses included), cached per store state."""
    key = ("class_totals", store.generation)
    if store.cache.get("class_totals", (None,))[0] != key:
        totals = {row["name"].value: int(row["total"].value) for row in _rows(store, _CLASS_TOTALS)}
        store.cache["class_totals"] = (key, totals)
    return store.cache["class_totals"][1]


def variable_order(clause: Clause, totals: dict[str, int]) -> tuple[str, ...]:
    """Most selective first: the rarest class, then variables tied to those chosen by a stored
    relation (an index lookup), then by any relation, then the rarest."""
    parts = conjuncts(clause.formula)
    everything = sum(totals.get(c, 0) for c in ALL_CLASSES)

    def size(v: str) -> int:
        classes = [p.predicate for p in parts if isinstance(p, Atom) and p.args == (v,) and p.predicate in totals]
        return min((totals[c] for c in classes), default=everything if not any(
            isinstance(p, Atom) and p.args == (v,) for p in parts) else 0)

    chosen: list[str] = []
    remaining = list(clause.variables)
    while remaining:
        def key(v: str):
            links = [p for p in parts if isinstance(p, Atom) and v in p.args and len(p.args) == 2
                     and set(p.args) - {v} <= set(chosen)]
            stored = any(p.predicate in STORED_RELATIONS for p in links)
            return (0 if stored else 1 if links else 2, size(v), clause.variables.index(v))
        best = min(remaining, key=key)
        chosen.append(best)
        remaining.remove(best)
    return tuple(chosen)


def _decide(store: Store, clause: Clause, sparql: ClauseSparql, within: list[ox.NamedNode] | None) -> list[ox.NamedNode]:
    candidates = within
    query = candidates_sparql(clause)
    if query is not None:
        found = [row["image"] for row in _rows(store, query)]
        candidates = found if within is None else sorted(set(found) & set(within), key=lambda n: n.value)
    if candidates is not None and not candidates:
        return []
    return [row["image"] for row in _rows(store, sparql.decide.replace("{images}", values_clause(candidates)))]


def _witnesses(store: Store, order: tuple[str, ...], sparql: ClauseSparql,
               images: list[ox.NamedNode]) -> dict[ox.NamedNode, list[tuple[str, ox.NamedNode, float]]]:
    """A witness per image, one variable at a time: the most confident value that still has a
    completion (ties: the smallest IRI). All images advance together, one query per variable."""
    chosen: dict[ox.NamedNode, list[tuple[str, ox.NamedNode, float]]] = {i: [] for i in images}
    for i, (v, step) in enumerate(zip(order, sparql.steps)):
        rows = [(img, *(e for _, e, _ in chosen[img])) for img in chosen]
        if not rows:
            break
        best: dict[ox.NamedNode, tuple[float, str, ox.NamedNode]] = {}
        for row in _rows(store, step.replace("{images}", values_rows(order[:i], rows))):
            img, entity, conf = row["image"], row[f"v_{v}"], float(row[f"v_{v}_CONF"].value)
            if img not in best or (-conf, entity.value) < (-best[img][0], best[img][1]):
                best[img] = (conf, entity.value, entity)
        chosen = {img: chosen[img] + [(v, best[img][2], best[img][0])] for img in chosen if img in best}
    return chosen


def answer(
    text_or_formula: str | Formula,
    store: Store,
    mode: str = "scored",
    limit: int = 20,
    tnorm: str = "product",
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
) -> Answer:
    """Answer a FOL query: ranked images (score > 0), each with a witness and its facts.

    crisp: score 1 for every image that satisfies the formula. scored: each clause scores an
    image by the t-norm of its witness's confidences, the witness chosen greedily (most
    confident value per variable, in the plan's order, that still has a completion); clause
    scores combine by the same t-norm.
    """
    if mode not in MODES:
        raise QueryError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    if tnorm not in TNORMS:
        raise QueryError(f"t-norm must be one of {', '.join(TNORMS)}, got {tnorm!r}")
    operator: TNorm = TNORMS[tnorm]
    timing: dict = {}
    t0 = time.perf_counter()
    formula = parse(text_or_formula) if isinstance(text_or_formula, str) else text_or_formula
    t1 = time.perf_counter()
    timing["parse"] = (t1 - t0) * 1000
    the_plan = plan(formula)
    totals = class_totals(store)
    orders = [variable_order(c, totals) for c in the_plan.clauses]
    queries = [rewrite(c, o, thresholds) for c, o in zip(the_plan.clauses, orders)]
    t2 = time.perf_counter()
    timing["plan"] = (t2 - t1) * 1000

    # Cheapest first: the clause whose class requirements leave the fewest images.
    sequence = sorted(range(len(the_plan.clauses)), key=lambda i: min(
        (totals.get(c, 0) for c, _ in the_plan.clauses[i].requirements), default=float("inf")))
    images: list[ox.NamedNode] | None = None
    clause_ms = [0.0] * len(sequence)
    for i in sequence:
        started = time.perf_counter()
        images = _decide(store, the_plan.clauses[i], queries[i], images)
        clause_ms[i] = (time.perf_counter() - started) * 1000
        if not images:
            break
    timing["clauses"] = clause_ms
    images = sorted(images or [], key=image_id_of)

    t3 = time.perf_counter()
    witnesses: dict[ox.NamedNode, list] = {img: [] for img in images}
    scores = dict.fromkeys(images, 1.0)
    if mode == "scored":
        for order, query in zip(orders, queries):
            found = _witnesses(store, order, query, images) if order else {}
            for img in images:
                if order and img in found:
                    witnesses[img] += found[img]
                    scores[img] = operator([scores[img], operator([c for _, _, c in found[img]])])
    ranked = sorted((img for img in images if scores[img] > 0), key=lambda i: (-scores[i], image_id_of(i)))
    shown = ranked if limit == 0 else ranked[:limit]
    if mode == "crisp":
        for order, query in zip(orders, queries):
            if order:
                for img, chosen in _witnesses(store, order, query, shown).items():
                    witnesses[img] += chosen
    results = [_explain(store, the_plan, img, scores[img], witnesses[img]) for img in shown]
    t4 = time.perf_counter()
    timing["witness"] = (t4 - t3) * 1000
    timing["total"] = (t4 - t0) * 1000
    return Answer(
        fol=canonical(formula),
        mode=mode,
        tnorm=operator.name,
        thresholds=asdict(thresholds),
        clauses=[{"variables": list(c.variables), "order": list(o), "formula": canonical(c.formula),
                  "requirements": dict(c.requirements)} for c, o in zip(the_plan.clauses, orders)],
        sparql=[q.decide for q in queries],
        results=results,
        matched=len(ranked),
        timing_ms=timing,
    )


_ENTITY_DETAILS = """PREFIX rune: <https://w3id.org/rune-kg/ontology#>
PREFIX geo: <http://www.opengis.net/ont/geosparql#>
PREFIX prov: <http://www.w3.org/ns/prov#>
SELECT ?e ?cls ?conf ?wkt ?run WHERE {
  VALUES ?e { %s }
  ?e rune:className ?cls ; rune:confidence ?conf ; geo:hasGeometry/geo:asWKT ?wkt ; prov:wasGeneratedBy ?run .
}"""


def _explain(store: Store, the_plan, image: ox.NamedNode, score: float, chosen: list) -> Result:
    """The witness's entity details, the relation facts that held, and the other conditions."""
    assignment = {v: e for v, e, _ in chosen}
    details = {}
    if assignment:
        for row in _rows(store, _ENTITY_DETAILS % " ".join(str(e) for e in assignment.values())):
            details[row["e"]] = row
    witness = [
        WitnessEntity(v, e.value, details[e]["cls"].value, float(details[e]["conf"].value),
                      details[e]["wkt"].value, details[e]["run"].value)
        for v, e in assignment.items() if e in details
    ]
    facts, conditions = [], []
    for clause in the_plan.clauses:
        for part in conjuncts(clause.formula):
            if isinstance(part, Atom) and len(part.args) == 2 and all(a in assignment for a in part.args):
                facts.append(Fact(part.predicate, part.args, tuple(assignment[a].value for a in part.args)))
            elif not (isinstance(part, Atom) and len(part.args) == 1):
                conditions.append(canonical(part))
    return Result(image_id_of(image), image.value, score, witness, facts, conditions)
