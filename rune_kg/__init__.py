"""rune-kg: neurosymbolic retrieval of aerial images with a knowledge graph (after RUNE)."""

__version__ = "0.1.0"
