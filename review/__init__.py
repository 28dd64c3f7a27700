"""Offline review of the Pulumi program: mocks, a recording engine and a policy-pack driver.

Public API (also importable from ``review.engine``): ``run_program``, ``ProgramRun``,
``RecordedResource``, ``load_stack_config``, ``PolicyPack``, ``Diagnostic``, ``review``,
``ReviewReport``, ``ReviewError``, ``ProgramError``; the mocks are in ``review.mocks``.
"""

# engine first: it re-exports names from analyzer/report, which import it back.
from .analyzer import Diagnostic, PolicyPack
from .engine import ProgramRun, RecordedResource, run_program
from .errors import ProgramError, ReviewError
from .report import ModeResult, ReviewReport, review
from .stack_config import load_stack_config

__all__ = [
    "Diagnostic",
    "ModeResult",
    "PolicyPack",
    "ProgramError",
    "ProgramRun",
    "RecordedResource",
    "ReviewError",
    "ReviewReport",
    "load_stack_config",
    "review",
    "run_program",
]
