"""The embedded translator's words: English phrases -> typed lexemes, matched longest first.

Class words come from the ontology (labels and skos:altLabel synonyms, with their plurals);
everything else (relation phrases, numbers, quantity words, the words around a question) is
listed here. The choices where English is vague are documented in the README ("Questions in
English"): a bare number means "at least", "several" means at least 3, "many" at least 5.
"""

from __future__ import annotations

import re
from functools import cache

from ..vocab import ONTOLOGY

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

# One relation phrase -> (predicate, swapped, negated).
# swapped: "smaller than" is larger_than(b, a).
RELATIONS = {
    "left_of": [
        "left of",
        "to the left of",
        "on the left of",
        "on the left side of",
        "to the left side of",
        "at the left of",
        "west of",
        "to the west of",
        "on the west side of",
        "westward of",
    ],
    "right_of": [
        "right of",
        "to the right of",
        "on the right of",
        "on the right side of",
        "to the right side of",
        "at the right of",
        "east of",
        "to the east of",
        "on the east side of",
        "eastward of",
    ],
    "above": [
        "above",
        "north of",
        "to the north of",
        "on the north side of",
        "northward of",
        "on top side of",
        "higher up than",
        "up from",
    ],
    "below": [
        "below",
        "beneath",
        "under",
        "underneath",
        "south of",
        "to the south of",
        "on the south side of",
        "southward of",
        "lower down than",
        "down from",
    ],
    "near": [
        "near",
        "near to",
        "nearby",
        "near by",
        "next to",
        "close to",
        "close by",
        "closeby",
        "beside",
        "by",
        "adjacent to",
        "alongside",
        "at",
        "around",
        "neighbouring",
        "neighboring",
        "bordering",
        "in the vicinity of",
        "in proximity to",
        "in close proximity to",
        "in the neighbourhood of",
        "in the neighborhood of",
        "not far from",
        "a short distance from",
        "close",
        "adjacent",
        "neighbor of",
        "neighbour of",
    ],
    "far_from": [
        "far from",
        "far away from",
        "away from",
        "distant from",
        "a long way from",
        "remote from",
        "well away from",
        "far off from",
        "far",
        "far away",
        "distant",
        "apart from",
    ],
    "overlaps": [
        "overlapping",
        "overlaps",
        "overlap",
        "overlapping with",
        "overlaps with",
        "overlap with",
        "intersecting",
        "intersects",
        "intersect",
        "intersecting with",
        "on",
        "on top of",
        "over",
        "crossing",
        "crosses",
        "cross",
    ],
    "inside": [
        "inside",
        "inside of",
        "in",
        "within",
        "contained in",
        "contained within",
        "enclosed by",
        "enclosed in",
        "located in",
        "located inside",
        "inside the area of",
    ],
    "contains": [
        "containing",
        "contains",
        "contain",
        "enclosing",
        "encloses",
        "enclose",
        "that contains",
        "holding",
    ],
    "larger_than": [
        "larger than",
        "bigger than",
        "greater than",
        "wider than",
        "huger than",
        "more extensive than",
    ],
    "parallel": [
        "parallel to",
        "parallel with",
        "aligned with",
        "in parallel with",
        "in parallel to",
        "with the same orientation as",
        "with the same heading as",
        "oriented like",
        "oriented the same as",
        "in the same direction as",
        "pointing the same way as",
        "parallel",
        "aligned",
    ],
    "same_class": [
        "of the same class as",
        "of the same type as",
        "of the same kind as",
        "same class as",
        "same type as",
        "same kind as",
        "the same class as",
        "the same type as",
    ],
}
SWAPPED = {
    "larger_than": [
        "smaller than",
        "tinier than",
        "less large than",
        "narrower than",
        "littler than",
    ],
    "contains": ["contained by"],
}
NEGATED = {
    "far_from": ["not far from", "close enough to"]
}  # "not far from X" is ~far_from, not ~exists X

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
        "in line",
        "in a single line",
        "forming a line",
        "arranged in a line",
        "aligned in a line",
        "aligned",
    ],
    "near": [
        "near each other",
        "close to each other",
        "next to each other",
        "close together",
        "near one another",
        "close to one another",
        "next to one another",
        "beside each other",
        "clustered",
        "clustered together",
        "grouped together",
        "together",
        "adjacent to each other",
        "in a cluster",
        "in a group",
        "bunched together",
        "side by side",
    ],
    "far_from": [
        "far apart",
        "far from each other",
        "far from one another",
        "spread out",
        "far away from each other",
        "well apart",
        "distant from each other",
    ],
    "parallel": [
        "parallel to each other",
        "parallel to one another",
        "parallel",
        "in parallel",
        "all parallel",
        "with the same orientation",
        "with the same heading",
        "oriented the same way",
        "pointing the same way",
    ],
    "overlaps": [
        "overlapping each other",
        "overlapping one another",
        "overlapping",
        "that overlap",
    ],
    "same_class": ["of the same class", "of the same type", "of the same kind"],
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
    "no": {"no": ["no", "zero", "not any", "not a single", "none of", "no single"]},
    "every": {
        "every": ["every", "each", "all", "all the", "all of the", "each of the", "every single"]
    },
    "only": {"only": ["only", "nothing but", "exclusively", "solely"]},
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
    text = re.sub(r"\b(to|on|at) (its|their) (left|right)\b", r"\1 the \3 of it", text)
    text = re.sub(r"\bneither\b", "not", re.sub(r"\bnor\b", "and not", text))
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
            add(plural(spelling.lower()), "class", (c.name, True))
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
    for table_, flags in (
        (NEGATED, (False, True)),
        (RELATIONS, (False, False)),
        (SWAPPED, (True, False)),
    ):
        for predicate, spellings in table_.items():
            for s in spellings:
                add(s, "relation", (predicate, *flags))
    for arrangement, spellings in ARRANGEMENTS.items():
        for s in spellings:
            add(s, "arrangement", arrangement)
    for arrangement, spellings in ARRANGEMENT_NOUNS.items():
        for s in spellings:
            add(s, "arrangement_noun", arrangement)
    return table


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
