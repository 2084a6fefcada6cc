"""The `rune` command: one subcommand per capability, grouped by stage (data, ask, serve,
evaluate); each calls one stage's entry function. Every error meant for the user is a
RuneError: printed as one line, exit status 2."""

from __future__ import annotations

import argparse
import os
import sys

from .. import __version__
from ..errors import RuneError
from . import ask, data, evaluate, serve

# an optional dependency that is missing -> what installs it
EXTRAS = {
    "matplotlib": "pip install 'rune-kg[eval]'",
    "transformers": "pip install 'rune-kg[eval]' (rune eval) or 'rune-kg[llm]' (--translator)",
    "torch": "pip install torch==2.13.0 (the CPU build), then 'rune-kg[eval]' or 'rune-kg[llm]'",
    "gguf": "pip install 'rune-kg[llm]'",
    "llama_cpp": "bash scripts/install-llm.sh",
    "mmrotate": "bash scripts/install-detector.sh",
    "mmcv": "bash scripts/install-detector.sh",
    "mmdet": "bash scripts/install-detector.sh",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rune", description="rune-kg: query aerial images with logic over a knowledge graph"
    )
    parser.add_argument("--version", action="version", version=f"rune-kg {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for group in (data, ask, serve, evaluate):
        group.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code = args.func(args)
    except (RuneError, OSError) as err:
        print(f"rune {args.command}: {err}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as err:
        missing = (err.name or "").split(".")[0]
        if missing not in EXTRAS:
            raise
        print(
            f"rune {args.command}: this needs {missing}, which is not installed: {EXTRAS[missing]}",
            file=sys.stderr,
        )
        return 2
    if argv is None and getattr(args, "exit_at_once", False):
        # a read-only command run as a process: its output is out, nothing is left to close,
        # so skip Python's teardown of every module and object (about 30 ms of `rune query`)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code
