"""`python -m rune_kg.cli`: the `rune` command."""

import sys

from . import main

sys.exit(main())
