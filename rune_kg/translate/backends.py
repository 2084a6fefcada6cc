"""LLM backends: each writes the chat prompt for a question and samples N completions of it.

- llama-cpp: a local .gguf file through llama-cpp-python, decoding constrained to the formula
  grammar (constrained.py), few-shot examples chosen per question by similarity
  (prompt.ExamplePicker). The fast path on a CPU.
- transformers: a local model folder or a .gguf file, loaded offline; decoding can be
  constrained the same way.
- openai: any OpenAI-compatible chat server (/v1/chat/completions), by URL and model name; the
  GBNF grammar goes with each request (llama.cpp's server and others honour `grammar`), and
  what comes back is validated either way.
"""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from functools import cached_property
from pathlib import Path

from ..errors import FormulaError, TranslationError
from ..query.parse import parse
from .constrained import GrammarSampler, LlamaLogits, Vocabulary
from .grammar import gbnf
from .prompt import ExamplePicker, messages

# A formula of the question sets takes at most about 100 tokens; a small model that will not
# stop writes "& ..." up to the budget, which is then cut back (cut_to_formula).
MAX_NEW_TOKENS = 96


class Backend:
    """What every LLM backend offers: its name, model, whether decoding is constrained, the
    prompt for a question, and `sample(prompt, n)`."""

    name = ""
    model_name = ""
    constrained: bool | None = None
    picker: ExamplePicker | None = None

    def messages(self, question: str) -> list[dict]:
        return messages(question, self.picker.pick(question) if self.picker else None)

    def sample(self, chat: list[dict], n: int) -> Iterable[str]:
        """n completions of the chat; an iterator lets the vote stop once it is decided."""
        raise NotImplementedError


_UNUSED = re.compile(r"variable (\w+) is quantified but not used")


def cut_to_formula(text: str) -> str:
    """A sample made whole when it is cut short (by the token budget, or stuck): the longest
    prefix ending with a ')' that, its brackets closed and the quantifiers of variables it no
    longer uses dropped, is a valid formula (else the text as it is)."""
    for end in range(len(text), 0, -1):
        if text[end - 1] != ")":
            continue
        prefix = text[:end]
        whole = prefix + ")" * (prefix.count("(") - prefix.count(")"))
        for _ in range(whole.count(":") + 1):
            try:
                parse(whole)
                return whole
            except FormulaError as err:
                unused = _UNUSED.search(err.message)
                if unused is None:
                    break
                quantifier = rf"\b(?:exists|forall)(?:[<>]?=\d+)? ?{unused.group(1)} ?: ?"
                whole = re.sub(quantifier, "", whole, count=1)
    return text


def example_picker() -> ExamplePicker | None:
    """Few-shot examples by similarity when all-MiniLM-L6-v2 is installed, else None (the fixed
    examples of examples.jsonl are used)."""
    from .embedding import SentenceEmbedder

    try:
        return ExamplePicker(SentenceEmbedder())
    except TranslationError:
        return None


class LlamaCppBackend(Backend):
    name = "llama-cpp"
    constrained = True

    def __init__(self, model: str, *, temperature: float = 0.7, threads: int | None = None):
        try:
            from llama_cpp import Llama
        except ImportError as err:
            raise TranslationError(
                "the llama-cpp translator needs llama-cpp-python "
                f"(bash scripts/install-llm.sh): {err}",
                "",
            ) from None
        path = Path(model).expanduser()
        if path.suffix != ".gguf" or not path.is_file():
            raise TranslationError(
                f"no .gguf model file at {path} (models cannot be downloaded here)", ""
            )
        self.llm = Llama(
            model_path=str(path), n_ctx=4096, n_threads=threads or os.cpu_count(), verbose=False
        )
        pieces = [
            self.llm.detokenize([t]).decode("utf-8", "replace") for t in range(self.llm.n_vocab())
        ]
        self.vocabulary = Vocabulary(pieces, self.llm.token_eos(), set())
        self.picker = example_picker()
        # The system prompt is the same for every question: evaluated once here, its state is
        # reused by every question's prompt (llama-cpp-python keeps the longest common prefix).
        self.llm.create_chat_completion(messages("", [])[:1], max_tokens=1)
        self.model_name, self.temperature = str(path), temperature

    def sample(self, chat: list[dict], n: int) -> Iterator[str]:
        """n completions, one at a time (the caller may stop early); the prompt is evaluated
        once and its state reused. A completion cut off by the token budget, or stuck where
        nothing the grammar allows fits, is cut back to a formula."""
        for seed in range(n):
            sampler = GrammarSampler(self.vocabulary, temperature=self.temperature, seed=seed)
            reply = self.llm.create_chat_completion(
                chat,
                max_tokens=MAX_NEW_TOKENS,
                seed=seed,
                logits_processor=[LlamaLogits(sampler)],
            )
            yield cut_to_formula(reply["choices"][0]["message"]["content"] or "")


class TransformersBackend(Backend):
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

    @cached_property
    def vocabulary(self) -> Vocabulary:
        tokenizer = self.tokenizer
        pieces = tokenizer.batch_decode([[i] for i in range(len(tokenizer))])
        end = tokenizer.convert_tokens_to_ids("<|im_end|>")
        return Vocabulary(pieces, tokenizer.eos_token_id, {end} if isinstance(end, int) else set())

    def sample(self, messages: list[dict], n: int) -> Iterator[str]:
        """n completions, one at a time (the caller may stop early): the prompt is run through
        the model once, and each sample continues from a copy of its cache."""
        import torch

        ids = self.tokenizer.apply_chat_template(
            messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
        )["input_ids"]
        with torch.no_grad():
            prompt = self.model(ids, use_cache=True)
        for seed in range(n):
            yield self._continue(prompt, seed)

    def _continue(self, prompt, seed: int) -> str:
        import copy

        import torch

        vocabulary = self.vocabulary
        sampler = (
            GrammarSampler(vocabulary, temperature=self.temperature, seed=seed)
            if self.constrained
            else None
        )
        random = None if sampler else torch.Generator().manual_seed(seed)
        key = "cache" if "cache" in prompt else "past_key_values"  # renamed in transformers 5
        cache, logits = copy.deepcopy(prompt[key]), prompt.logits[0, -1]
        tokens: list[int] = []
        with torch.no_grad():
            for _ in range(MAX_NEW_TOKENS):
                if sampler:
                    token = sampler.choose(logits.float().numpy())
                else:
                    weights = torch.softmax(logits.float() / max(self.temperature, 1e-6), -1)
                    token = int(torch.multinomial(weights, 1, generator=random))
                if token in vocabulary.ends:
                    return self.tokenizer.decode(tokens, skip_special_tokens=True)
                if sampler:
                    sampler.feed(token)
                tokens.append(token)
                step = self.model(torch.tensor([[token]]), use_cache=True, **{key: cache})
                cache, logits = step[key], step.logits[0, -1]
        return cut_to_formula(self.tokenizer.decode(tokens, skip_special_tokens=True))


class OpenAIBackend(Backend):
    """Chat completions over HTTP. URL, model and key come from the options or from
    RUNE_LLM_URL / RUNE_LLM_MODEL / RUNE_LLM_API_KEY (OPENAI_BASE_URL / OPENAI_API_KEY too)."""

    name = "openai"
    constrained = None  # the grammar is sent; whether the server honours it is the server's

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
                "grammar": gbnf(),  # llama.cpp's server (and llama-cpp-python's) constrain by it
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
