"""Entry point for ``python -m review``.

The review is a short-lived batch process holding the whole pulumi-aws SDK in memory: the
cyclic GC is not needed while it runs, and tearing the interpreter down costs ~0.3 s, so once
the report is written and the policy packs are closed it exits without the teardown.
"""

import gc
import logging
import os
import sys

gc.disable()

from .cli import main  # noqa: E402

code = main()
logging.shutdown()
sys.stdout.flush()
sys.stderr.flush()
os._exit(code)
