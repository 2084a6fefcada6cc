"""The embedded translator's words: English phrases -> typed lexemes, matched longest first.

The domain vocabulary comes from the ontology, so that the linked data and the translator share
it: class words are the classes' labels and skos:altLabel synonyms (with their plurals), and
relation phrases are the relations' rune:phrase, rune:inversePhrase, rune:negatedPhrase and
rune:groupPhrase annotations (rune_kg.vocab.relations). The grammar's own words (numbers,
quantity words, arrangements in a row or column, hedges, the words around a question) are
listed here. The choices where English is vague are documented in the README ("Questions in
English"): a bare number means "at least", "several" means at least 3, "many" at least 5.
"""

from __future__ import annotations

import re
from functools import cache

from ..vocab import ONTOLOGY, predicates

# The kinds of reading a phrase can have (the parser's terminals):
# - class: a class noun; value: (class name or None for any entity, plural)
# - number: a number; value: int
# - compare: a comparison before a number; value: '>=', '<=', '=', '>', '<'
# - compare_after: 'or more' / 'or fewer' after a number; value: '>=' or '<='
# - det: an indefinite or definite article; value: 'a', 'the', 'any'
# - vague: a vague amount; value: the least number it means
# - no: 'no', 'zero', 'not any'
# - every: 'every', 'each', 'all'
# - only: 'only'
# - relation: a spatial phrase; value: (predicate, swapped, negated)
# - arrangement: a group arrangement; value: 'row', 'column', 'line', or a predicate held pairwise
# - surrounded: 'surrounded by'
# - pronoun: value: 'it' (the phrase it modifies) or 'each other' (its own group)
# - and: 'and', ',', 'as well as', 'plus'
# - or: 'or'
# - not: 'not', 'is not', ...
# - with: 'with', 'having', 'that has'
# - without: 'without', 'with no'
# - link: words that join a noun to its relation: 'that is', 'which are', 'located', 'parked'
# - other: 'other', 'another', 'different' (distinctness is implied by the language)
# - image: 'image', 'picture', 'photo', 'scene'
# - lead: words that open a question: 'show me', 'find', 'is there', 'containing'
# - tail: words that close a question: 'in the image', 'please'
# - between: 'between' (as in 'between 2 and 4'); arrangement_noun: 'a row of', 'a column of'

NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "a pair of": 2,
    "a couple of": 2,
    "pair of": 2,
    "couple of": 2,
    "a dozen": 12,
    "dozen": 12,
    "a single": 1,
    "single": 1,
    "a trio of": 3,
    "a group of three": 3,
}

ARRANGEMENTS = {
    "row": [
        "in a row",
        "lined up in a row",
        "parked in a row",
        "standing in a row",
        "in a horizontal row",
        "in a horizontal line",
        "lined up horizontally",
        "in one row",
        "in a single row",
        "side by side horizontally",
        "arranged in a row",
        "forming a row",
        "horizontally aligned",
        "aligned horizontally",
    ],
    "column": [
        "in a column",
        "lined up in a column",
        "parked in a column",
        "in a vertical column",
        "in a vertical line",
        "in a vertical row",
        "lined up vertically",
        "in one column",
        "in a single column",
        "one above the other",
        "one below the other",
        "stacked vertically",
        "arranged in a column",
        "forming a column",
        "vertically aligned",
        "aligned vertically",
    ],
    "line": [
        "in a line",
        "in a straight line",
        "in one line",
        "lined up",
        "queued",
        "queued up",
        "in a queue",
        "in line",
        "in a single line",
        "forming a line",
        "arranged in a line",
        "aligned in a line",
        "aligned",
    ],
    # both near and parallel, pairwise
    "side_by_side": ["side by side", "alongside each other", "alongside one another", "abreast"],
}

# "a row of four cars": the arrangement comes first, as a noun.
ARRANGEMENT_NOUNS = {
    "row": ["a row of", "row of", "rows of"],
    "column": ["a column of", "column of", "columns of"],
    "line": ["a line of", "line of", "a queue of", "queue of"],
    "near": ["a cluster of", "cluster of", "a group of", "group of"],
}

WORDS = {
    "between": {"between": ["between", "from"]},
    "compare": {
        ">=": [
            "at least",
            "no fewer than",
            "no less than",
            "a minimum of",
            "not less than",
            "minimum",
        ],
        "<=": [
            "at most",
            "no more than",
            "up to",
            "not more than",
            "a maximum of",
            "maximum",
            "fewer than or equal to",
        ],
        "=": ["exactly", "precisely", "just", "only", "exactly only"],
        ">": ["more than", "over", "greater than", "above"],
        "<": ["fewer than", "less than", "under", "below"],
    },
    "compare_after": {
        ">=": ["or more", "or more than that", "plus", "and more", "and up"],
        "<=": ["or fewer", "or less", "at most", "or under"],
    },
    "det": {
        "a": ["a", "an", "some", "one"],
        "the": ["the", "that", "this"],
        "any": ["any", "any one"],
    },
    "vague": {
        2: ["multiple", "a few", "few", "various", "a number of", "numbers of", "more than one"],
        3: ["several"],
        5: [
            "many",
            "lots of",
            "a lot of",
            "numerous",
            "plenty of",
            "loads of",
            "a bunch of",
            "a large number of",
            "a great many",
        ],
    },
    "no": {
        "no": ["no", "zero", "not any", "not a single", "none of", "no single"],
        # "none of the tanks is near a ship": there are tanks, and none is near a ship
        "none of the": ["none of the", "not one of the", "neither of the", "none of these"],
    },
    "every": {
        "every": ["every", "each", "all", "all the", "all of the", "each of the", "every single"]
    },
    "only": {"only": ["only", "nothing but", "exclusively", "solely"]},
    "surrounding": {"surrounding": ["surrounding", "encircling", "ringing", "around all sides of"]},
    "surrounded": {
        "surrounded": [
            "surrounded by",
            "encircled by",
            "ringed by",
            "flanked on all sides by",
            "with on all sides",
        ]
    },
    "pronoun": {
        "it": ["it", "them", "itself", "that one", "this one", "those", "these"],
        "each other": ["each other", "one another"],
    },
    "and": {
        "and": [
            "and",
            ",",
            "as well as",
            "plus",
            "along with",
            "together with",
            "and also",
            "also",
            ";",
            "but",
            "but also",
            "while",
        ]
    },
    "or": {"or": ["or", "either", "or else", "and/or", "or maybe"]},
    "not": {
        "not": [
            "not",
            "is not",
            "are not",
            "isn't",
            "aren't",
            "that is not",
            "that are not",
            "which is not",
            "which are not",
            "but not",
            "nowhere near",
        ]
    },
    "with": {
        "with": [
            "with",
            "having",
            "that has",
            "that have",
            "which has",
            "which have",
            "has",
            "have",
            "featuring",
            "accompanied by",
            "and there is",
            "and there are",
        ]
    },
    "without": {
        "without": [
            "without",
            "with no",
            "having no",
            "that has no",
            "that have no",
            "lacking",
            "free of",
            "with not a single",
        ]
    },
    "link": {
        "link": [
            "that is",
            "that are",
            "which is",
            "which are",
            "who is",
            "that's",
            "is",
            "are",
            "being",
            "located",
            "situated",
            "positioned",
            "placed",
            "lying",
            "lies",
            "lie",
            "sitting",
            "sits",
            "sit",
            "standing",
            "stands",
            "stand",
            "parked",
            "docked",
            "moored",
            "berthed",
            "stationed",
            "anchored",
            "tied up",
            "driving",
            "waiting",
            "idling",
            "resting",
            "travelling",
            "traveling",
            "perched",
            "kept",
            "stored",
            "that lies",
            "that lie",
            "that sits",
            "that sit",
            "that stands",
            "that stand",
            "that is located",
            "that are located",
            "which is located",
            "which are located",
            "appearing",
            "appears",
            "found",
            "seen",
            "visible",
            "lined",
            "arranged",
            "that is both",
            "that are both",
            "and is",
            "and are",
            "while being",
            "is located",
            "are located",
            "is positioned",
            "are positioned",
            "all",
            "both",
        ]
    },
    "other": {
        "other": [
            "other",
            "another",
            "different",
            "distinct",
            "separate",
            "further",
            "additional",
            "more",
            "else",
        ]
    },
    "lead": {
        "lead": [
            "do",
            "does",
            "do we have",
            "do you have",
            "have we got",
            "we have",
            "need",
            "we need",
            "i am looking for",
            "am looking for",
            "i would like",
            "i would like to see",
            "can i see",
            "can i get",
            "could i see",
            "let me see",
            "contain",
            "contains",
            "shows",
            "depict",
            "depicts",
            "feature",
            "features",
            "include",
            "includes",
            "got",
            "show me",
            "show",
            "find me",
            "find",
            "search for",
            "search",
            "look for",
            "looking for",
            "get",
            "give me",
            "list",
            "retrieve",
            "return",
            "i want",
            "i need",
            "display",
            "fetch",
            "locate",
            "where is",
            "where are",
            "is there",
            "are there",
            "there is",
            "there are",
            "there's",
            "which",
            "what",
            "containing",
            "that contain",
            "that contains",
            "showing",
            "that show",
            "that shows",
            "depicting",
            "where",
            "in which",
            "of",
            "please",
            "in",
            "with",
            "having",
            "featuring",
            "that have",
            "that has",
            "whose",
            "can you find",
            "could you find",
            "can you show me",
            "me",
            "such that",
            "so that",
        ]
    },
    "tail": {
        "tail": [
            "and nothing else",
            "nothing else",
            "and nothing more",
            "and no other objects",
            "and no other object",
            "in the image",
            "in the picture",
            "in the photo",
            "in the scene",
            "in an image",
            "in the same image",
            "in one image",
            "please",
            "in it",
            "in view",
            "visible",
            "present",
            "there",
            "anywhere",
            "somewhere",
            "at all",
            "in the scene please",
            "in the same picture",
        ]
    },
}

IMAGE_NOUNS = [
    "image",
    "picture",
    "photo",
    "photograph",
    "scene",
    "tile",
    "frame",
    "aerial image",
    "satellite image",
    "aerial photo",
    "satellite photo",
    "aerial view",
    "satellite view",
    "shot",
    "pic",
    "snapshot",
    "snap",
    "capture",
    "image tile",
    "view",
]
ANY_ENTITY = ["object", "thing", "entity", "item", "detection", "instance", "anything", "something"]


def plural(word: str) -> str:
    """English plural of a noun phrase's last word."""
    irregular = {
        "aircraft": "aircraft",
        "bus": "buses",
        "ferry": "ferries",
        "entity": "entities",
        "lorry": "lorries",
        "anything": "anything",
        "something": "something",
        "port": "ports",
    }
    head, _, last = word.rpartition(" ")
    if last in irregular:
        p = irregular[last]
    elif re.search(r"(s|x|z|ch|sh)$", last):
        p = last + "es"
    elif re.search(r"[^aeiou]y$", last):
        p = last[:-1] + "ies"
    else:
        p = last + "s"
    return f"{head} {p}" if head else p


def words(text: str) -> list[str]:
    """Lower-case words and commas; contractions opened ("isn't" -> "is not"), '_' and '-' split."""
    text = text.lower().replace("’", "'").replace("n't", " not").replace("'s", " is")
    for short, long in (("'m", " am"), ("'re", " are"), ("'ve", " have"), ("'d", " would")):
        text = text.replace(short, long)
    text = re.sub(r"\b(to|on|at) (its|their) (left|right)\b", r"\1 the \3 of it", text)
    return re.findall(r">=|<=|\d+|[a-z]+(?:/[a-z]+)?|[,;]", re.sub(r"[_\-]", " ", text))


@cache
def phrases() -> dict[tuple[str, ...], list[tuple[str, object]]]:
    """Every known phrase (as a word tuple) -> its readings (kind, value), the likelier first."""
    table: dict[tuple[str, ...], list[tuple[str, object]]] = {}

    def add(phrase: str, kind: str, value: object) -> None:
        readings = table.setdefault(tuple(words(phrase)), [])
        if (kind, value) not in readings:
            readings.append((kind, value))

    for c in ONTOLOGY.classes.values():
        for spelling in (c.label, *c.synonyms, c.name.replace("_", " ")):
            add(spelling.lower(), "class", (c.name, False))
            add(_plural_phrase(spelling.lower()), "class", (c.name, True))
    for c, noun in _adjective_phrases():  # "destroyed house": destroyed_building
        add(noun, "class", (c.name, False))
        add(_plural_phrase(noun), "class", (c.name, True))
    for noun in ANY_ENTITY:
        add(noun, "class", (None, False))
        add(plural(noun), "class", (None, True))
    for noun in IMAGE_NOUNS:
        add(noun, "image", None)
        add(plural(noun), "image", None)
    for name, number in NUMBER_WORDS.items():
        add(name, "number", number)
    for kind, groups in WORDS.items():
        for value, spellings in groups.items():
            for s in spellings:
                add(s, kind, value)
    relations = predicates().values()
    for r in relations:  # negated phrases first: "not far from" is ~far_from, not "not" + near
        for s in r.negated_phrases:
            add(s, "relation", (r.name, False, True))
    for r in relations:
        for s in r.phrases:
            add(s, "relation", (r.name, False, False))
        for s in r.inverse_phrases:
            add(s, "relation", (r.name, True, False))
    for r in relations:
        for s in r.group_phrases:
            add(s, "arrangement", r.name)
    for arrangement, spellings in ARRANGEMENTS.items():
        for s in spellings:
            add(s, "arrangement", arrangement)
    for arrangement, spellings in ARRANGEMENT_NOUNS.items():
        for s in spellings:
            add(s, "arrangement_noun", arrangement)
    return table


def _plural_phrase(phrase: str) -> str:
    """The plural of a noun phrase: its head noun's ("buildings with minor damage")."""
    head, sep, tail = phrase.partition(" with ")
    return plural(head) + sep + tail if sep else plural(phrase)


def _adjective_phrases() -> list:
    """(class, "<adjective> <noun of a superclass>") for every rune:adjective of a class."""
    by_iri = {c.iri: c for c in ONTOLOGY.classes.values()}
    found = []
    for c in ONTOLOGY.classes.values():
        for adjective in c.adjectives:
            for parent in (by_iri[a] for a in c.ancestors):
                for noun in (parent.label, *parent.synonyms):
                    found.append((c, f"{adjective.lower()} {noun.lower()}"))
    return found


COPULAS = ("is", "are", "was", "were", "got", "been", "be")


# Words that only grade a relation that follows them: "right next to", "just south of",
# "directly above", "very close to" say no more than the relation does.
HEDGES = {
    "right",
    "just",
    "directly",
    "immediately",
    "very",
    "really",
    "somewhat",
    "way",
    "quite",
    "pretty",
    "fairly",
    "slightly",
    "roughly",
    "approximately",
    "almost",
    "nearly",
    "due",
    "straight",
    "squarely",
    "exactly",
    "precisely",
    "closely",
    "well",
    "much",
    "so",
    "too",
}


def rewrite(text: list[str]) -> list[str]:
    """Words as the grammar reads them: hedges before a relation dropped, "either ... or" read
    as "or", "neither X nor Y" as "no X and no Y" (or "not near X and not near Y" before a
    relation), and a coordination of modifiers spread over their noun ("a soccer or baseball
    field" is "a soccer field or a baseball field")."""
    out: list[str] = []
    i = 0
    while i < len(text):
        word = text[i]
        if word in HEDGES and _starts_relation(text, i + 1):
            i += 1
            continue
        if word == "either" and "or" in text[i + 1 :]:
            i += 1
            continue
        if word in ("neither", "nor"):
            relation = _starts_relation(text, i + 1)
            out += (
                (["not"] if relation else ["no"])
                if word == "neither"
                else ["and", "not" if relation else "no"]
            )
            i += 1
            if not relation and i < len(text) and text[i] in ("a", "an", "any"):
                i += 1  # "neither a harbor": no harbor
            continue
        spread = _spread_modifiers(text, i)
        if spread is not None:
            replaced, i = spread
            out += replaced
            continue
        moved = _predicate_adjective(out, text, i)
        if moved is not None:
            out, i = moved
            continue
        if word in ("one", "ones") and out:
            noun = _antecedent(out, plural_=word == "ones")
            if noun is not None:
                out.append(noun)
                i += 1
                continue
        out.append(word)
        i += 1
    return out


def _predicate_adjective(out: list[str], text: list[str], i: int):
    """ "buildings (that) were destroyed" -> "destroyed buildings": at word i, a copula after a
    noun, then an adjective that names a subclass of it. (new out, position after it) or None."""
    j = i + (text[i] in ("that", "which"))
    if j >= len(text) or text[j] not in COPULAS or not out:
        return None
    if any(w in ("every", "each", "all") for w in out[-3:]):
        return None  # "every building is undamaged" says more than "every undamaged building"
    while j < len(text) and text[j] in COPULAS:
        j += 1
    for n in (2, 1):
        adjective = text[j : j + n]
        if len(adjective) == n and _is_class([*adjective, out[-1]]):
            return [*out[:-1], *adjective, out[-1]], j + n
    return None


def _antecedent(out: list[str], plural_: bool) -> str | None:
    """The noun "ones" stands for after an adjective: the latest noun that the adjective
    (its last one or two words) makes a class with ("destroyed ones": destroyed buildings)."""
    for n in (2, 1):
        adjective = out[-n:]
        for noun in reversed(out[:-n]):
            if _is_class([*adjective, noun]) and _is_class([noun]):
                singular = noun[:-1] if noun.endswith("s") and _is_class([noun[:-1]]) else noun
                return plural(singular) if plural_ else singular
    return None


def _starts_relation(text: list[str], i: int) -> bool:
    """Whether a relation or arrangement phrase (after more hedges, perhaps) starts at word i."""
    while i < len(text) and text[i] in HEDGES and not _readings_at(text, i, "relation"):
        i += 1
    return bool(_readings_at(text, i, "relation", "arrangement"))


def _readings_at(text: list[str], i: int, *kinds: str) -> list:
    return [r for r in readings(text, i) if r[0] in kinds] if i < len(text) else []


def _is_class(words_: list[str]) -> bool:
    return any(kind == "class" for kind, _ in phrases().get(tuple(words_), ()))


def _spread_modifiers(text: list[str], i: int) -> tuple[list[str], int] | None:
    """ "soccer or baseball field" at word i -> (["soccer", "field", "or", "baseball", "field"],
    the position after it), when both "soccer field" and "baseball field" are class nouns and
    "soccer" alone is not."""
    if i + 2 >= len(text) or text[i + 1] not in ("or", "and") or _is_class([text[i]]):
        return None
    for n in (1, 2):
        head = text[i + 3 : i + 3 + n]
        if len(head) == n and _is_class([text[i], *head]) and _is_class([text[i + 2], *head]):
            return [text[i], *head, text[i + 1], text[i + 2], *head], i + 3 + n
    return None


@cache
def longest_phrase() -> int:
    return max(len(p) for p in phrases())


def readings(text: list[str], i: int) -> list[tuple[str, object, int]]:
    """The readings of the phrases that start at word i: (kind, value, length), longest first."""
    found = []
    for n in range(min(longest_phrase(), len(text) - i), 0, -1):
        for kind, value in phrases().get(tuple(text[i : i + n]), ()):
            found.append((kind, value, n))
    if not found and text[i].isdigit():
        found.append(("number", int(text[i]), 1))
    return found
