"""Offline review of the Pulumi program: mocks, a recording engine and a policy-pack driver.

Public API (also importable from ``review.engine``): ``run_program``, ``ProgramRun``,
``RecordedResource``, ``load_stack_config``, ``PolicyPack``, ``Diagnostic``, ``review``,
``ReviewReport``, ``ReviewError``, ``ProgramError``; the mocks are in ``review.mocks``.
"""

# The public API and its __all__ live in one place, review.engine (which re-exports the
# analyzer's and report's names); the package only mirrors it.
from .engine import *  # noqa: F403
from .engine import __all__  # noqa: F401
