"""The retrieval benchmark (rune eval): complex questions over DOTA collections, with graded
detector-like noise, scored for rune-kg and baselines. Entry point: `run.evaluate`."""
