"""What the command groups share: the store options and opening the store they name."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..kg import KnowledgeGraph


def store_options(parser: argparse.ArgumentParser, remote: bool = True) -> None:
    parser.add_argument(
        "--store",
        type=Path,
        default=None,
        help="store folder (default: $RUNE_STORE or ./rune-store)",
    )
    if remote:
        parser.add_argument(
            "--endpoint",
            help="a SPARQL 1.1 query URL instead of a store folder (default $RUNE_ENDPOINT)",
        )
        parser.add_argument(
            "--update-endpoint", help="its update URL (default $RUNE_UPDATE_ENDPOINT)"
        )


def open_from_args(args, read_only: bool = False, create: bool = True) -> KnowledgeGraph:
    """The embedded store (--store) or the remote endpoint (--endpoint); a missing store is
    created unless `read_only` or not `create`."""
    from ..kg import open_store  # the store: opened by the commands that read it, not by `rune`

    return open_store(
        args.store,
        getattr(args, "endpoint", None),
        getattr(args, "update_endpoint", None),
        read_only=read_only,
        create=create,
    )


def plural(n: int, noun: str) -> str:
    """'1 image', '2 images'."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
