"""The retrieval benchmark (rune eval): complex questions over DOTA collections, with graded
detector-like noise, scored for rune-kg and baselines. Entry point: `benchmark.evaluate`."""

METHODS = ("rune-scored", "rune-crisp", "rune-pipeline", "bag-of-classes", "text-minilm")

# name -> how it is built (rune_kg.evaluation.collection)
COLLECTIONS = {
    "dota-v1": "the labelTxt folder given with --labels: DOTA v1.0 train + val, 1,869 images",
    "sample": "the 25 real DOTA images bundled with rune-kg",
    "dota-v1-x4": "4 x the images of --labels, drawn with replacement and mirrored: scale",
}
