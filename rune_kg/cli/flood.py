"""rune demo --use-case flood: the post-disaster use case end to end, on xBD data the user has
(--data: xBD label files, their *_b1.png damage masks, florence_bbox.csv)."""

from __future__ import annotations

from pathlib import Path

from ..errors import CommandError
from .common import open_from_args

# xBD damage mask value -> colour, for pictures to draw on when no satellite picture is at hand
DAMAGE_COLOURS = {
    0: (40, 40, 40),
    1: (60, 170, 90),
    2: (230, 200, 60),
    3: (240, 130, 40),
    4: (210, 40, 40),
    5: (150, 150, 150),
}
QUESTIONS = [
    "destroyed buildings next to each other",
    "a destroyed building near a building with major damage",
    "an undamaged building surrounded by destroyed ones",
    "tiles where more than five buildings were destroyed",
    "a damaged building with no undamaged building near it",
]
EVENTS = """SELECT ?event ?type ?phase (COUNT(DISTINCT ?image) AS ?images)
  (COUNT(DISTINCT ?building) AS ?damaged)
WHERE { ?node a rune:DisasterEvent ; rdfs:label ?event OPTIONAL { ?node rune:disasterType ?type }
  ?image rune:event ?node ; rune:eventPhase ?phase .
  OPTIONAL { ?building rune:inImage ?image ; a rune:DamagedBuilding } }
GROUP BY ?event ?type ?phase ORDER BY ?event ?phase"""


def flood_demo(args, run) -> int:
    """Ingest the xBD labels (with their damage masks drawn as pictures) and the Florence table,
    then ask post-flood questions and draw the first answer's witnesses. `run` runs a rune
    command as the CLI would."""
    from ..ingest import ingest
    from ..ingest.masks import image_id_of
    from ..kg.stats import collection_stats

    data = Path(args.data) if args.data else None
    if data is None or not data.is_dir():
        raise CommandError(
            "the flood use case reads xBD data you have: --data DIR with xBD label files "
            "(*_disaster.json), their damage masks (*_b1.png) and/or florence_bbox.csv"
        )
    labels = sorted(data.glob("*_disaster.json"))
    tables = sorted(data.glob("*.csv"))
    if not labels and not tables:
        raise CommandError(f"{data}: no xBD label files (*_disaster.json) nor tables (*.csv)")
    pictures = Path(args.out).with_suffix("").with_name(Path(args.out).stem + "-pictures")
    drawn = _draw_masks(sorted(data.glob("*_b1.png")), pictures, image_id_of)
    store = open_from_args(args)
    if labels:
        print(
            f"== ingesting {len(labels)} xBD label files (their {drawn} damage masks as pictures)"
        )
        report = ingest(labels, store, source="xbd", images_dir=pictures, progress=False)
        print(f"   {report.images} images, {report.entities} buildings, {report.triples} triples")
    for table in tables:
        print(f"== ingesting the table of boxes {table.name}")
        report = ingest([table], store, source="florence", progress=False)
        print(f"   {report.images} tiles, {report.entities} buildings, {report.seconds:.1f} s")
    print("== buildings per class (rune stats)")
    for name, count in collection_stats(store)["classes"].items():
        print(f"   {name:<22} {count}")
    print("== events, before and after (rune sparql)")
    for row in store.query(EVENTS):
        kind = f" ({row['type'].value})" if row["type"] else ""
        print(
            f"   {row['event'].value}{kind}, {row['phase'].value}: {row['images'].value} images, "
            f"{row['damaged'].value} damaged buildings"
        )
    path = str(store.path)
    del store  # closed before the commands open it read-only: its compactions delete files
    for question in QUESTIONS:
        print(f"== rune query '{question}' --mode crisp")
        run(["query", question, "--store", path, "--mode", "crisp", "--limit", "3"])
    after = [label for label in labels if label.stem.endswith("_post_disaster")]
    if after:
        image = after[0].stem
        fol = "destroyed_building(a) & major_damage_building(b) & near(a, b)"
        print(f"== why {image} matches, drawn (rune explain {image} --fol '{fol}')")
        return run(["explain", image, "--fol", fol, "--store", path, "--out", args.out])
    return 0


def _draw_masks(masks: list[Path], folder: Path, image_id_of) -> int:
    """Each damage mask as a colour picture named by its image id; how many."""
    import numpy as np
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    palette = np.zeros((256, 3), dtype=np.uint8)
    for value, colour in DAMAGE_COLOURS.items():
        palette[value] = colour
    for mask in masks:
        values = np.asarray(Image.open(mask))
        Image.fromarray(palette[values]).save(folder / f"{image_id_of(mask)}.png")
    return len(masks)
