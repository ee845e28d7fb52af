"""Entry point: `python -m benchmarks` (or `scripts/bench`, which also installs py-dactyl)."""

import sys

from benchmarks.cli import main

sys.exit(main())
