"""Offline review of the Pulumi program: mocks, a recording engine and a policy-pack driver.

Dependencies run one way: ``plan`` (data) <- ``engine`` (run the program under ``mocks``) <-
``analyzer`` (drive the pack) <- ``report`` (format) <- ``pipeline`` (``review()``) <- ``cli``.
This package only re-exports the public API.
"""

from .analyzer import Diagnostic, PolicyPack
from .engine import run_program
from .errors import ProgramError, ReviewError
from .pipeline import review
from .plan import ProgramRun, RecordedResource
from .report import ModeResult, ReviewReport
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
