"""Entry point for ``python -m review``."""

import sys

from .cli import main

sys.exit(main())
