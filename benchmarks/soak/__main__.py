"""Entry point: `python -m benchmarks.soak` (or `scripts/soak`)."""

import contextlib
import sys

from benchmarks.soak.cli import main

with contextlib.suppress(KeyboardInterrupt):
    sys.exit(main())
