"""LLM backends: each samples N completions of the same chat prompt.

- transformers: a local model folder or a .gguf file, loaded offline; decoding can be
  constrained to the formula grammar (constrained.GrammarLogits).
- openai: any OpenAI-compatible chat server (/v1/chat/completions), by URL and model name.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from pathlib import Path

from ..errors import TranslationError

MAX_NEW_TOKENS = 96


class TransformersBackend:
    name = "transformers"

    def __init__(self, model: str, *, constrained: bool = True, temperature: float = 0.7):
        try:
            from transformers import AutoModelForCausalLM, AutoTokenizer
        except ImportError as err:
            raise TranslationError(
                f"the transformers backend needs torch and transformers "
                f"(pip install 'rune-kg[llm]'): {err}",
                "",
            ) from None
        path = Path(model).expanduser()
        folder, gguf_file = (path.parent, path.name) if path.suffix == ".gguf" else (path, None)
        if not path.exists():
            raise TranslationError(
                f"no model at {path}: give a local model folder or .gguf file "
                "(models cannot be downloaded here)",
                "",
            )
        self.tokenizer = AutoTokenizer.from_pretrained(
            folder, gguf_file=gguf_file, local_files_only=True
        )
        self.model = AutoModelForCausalLM.from_pretrained(
            folder, gguf_file=gguf_file, local_files_only=True
        )
        self.model.eval()
        self.model_name = str(path)
        self.constrained, self.temperature = constrained, temperature

    def sample(self, messages: list[dict], n: int) -> list[str]:
        import torch
        from transformers import LogitsProcessorList

        from .constrained import GrammarLogits

        ids = self.tokenizer.apply_chat_template(
            messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
        )["input_ids"]
        grammar = GrammarLogits(self.tokenizer, ids.shape[1]) if self.constrained else None
        processors = LogitsProcessorList([grammar] if grammar else [])
        with torch.no_grad():
            out = self.model.generate(
                ids,
                attention_mask=torch.ones_like(ids),
                do_sample=True,
                temperature=self.temperature,
                top_k=0,
                top_p=1.0,
                num_return_sequences=n,
                max_new_tokens=MAX_NEW_TOKENS,
                logits_processor=processors,
                pad_token_id=self.tokenizer.eos_token_id,
            )
        if grammar is not None:
            return grammar.outputs()
        return self.tokenizer.batch_decode(out[:, ids.shape[1] :], skip_special_tokens=True)


class OpenAIBackend:
    """Chat completions over HTTP. URL, model and key come from the options or from
    RUNE_LLM_URL / RUNE_LLM_MODEL / RUNE_LLM_API_KEY (OPENAI_BASE_URL / OPENAI_API_KEY too)."""

    name = "openai"
    constrained = False  # no grammar option common to OpenAI-compatible servers

    def __init__(
        self,
        url: str | None = None,
        model: str | None = None,
        api_key: str | None = None,
        *,
        temperature: float = 0.7,
        timeout: float = 120.0,
    ):
        self.url = (
            url or os.environ.get("RUNE_LLM_URL") or os.environ.get("OPENAI_BASE_URL") or ""
        ).rstrip("/")
        self.model_name = model or os.environ.get("RUNE_LLM_MODEL") or ""
        self.api_key = (
            api_key or os.environ.get("RUNE_LLM_API_KEY") or os.environ.get("OPENAI_API_KEY")
        )
        if not self.url or not self.model_name:
            raise TranslationError(
                "the openai backend needs a server URL and a model name "
                "(--llm-url/--llm-model or RUNE_LLM_URL/RUNE_LLM_MODEL)",
                "",
            )
        self.temperature, self.timeout = temperature, timeout

    def sample(self, messages: list[dict], n: int) -> list[str]:
        """n completions; servers that ignore the `n` field are asked again until there are n."""
        texts: list[str] = []
        while len(texts) < n:
            body = {
                "model": self.model_name,
                "messages": messages,
                "n": n - len(texts),
                "temperature": self.temperature,
                "max_tokens": MAX_NEW_TOKENS,
            }
            choices = self._post(body).get("choices") or []
            if not choices:
                raise TranslationError(f"{self.url} returned no choices", "")
            texts += [(c.get("message") or {}).get("content") or "" for c in choices]
        return texts[:n]

    def _post(self, body: dict) -> dict:
        endpoint = self.url + (
            "/chat/completions" if self.url.endswith("/v1") else "/v1/chat/completions"
        )
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        request = urllib.request.Request(
            endpoint, json.dumps(body).encode(), headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.load(response)
        except (urllib.error.URLError, TimeoutError, json.JSONDecodeError) as err:
            raise TranslationError(f"the LLM server at {endpoint} failed: {err}", "") from None
