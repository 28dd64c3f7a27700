"""Offline review of the Pulumi program: mocks, a recording engine and a policy-pack driver.

Dependencies run one way (tests/test_review_layers.py): ``plan`` (data) <- ``baseline`` (a stack
export) <- ``steps`` (the engine's steps against it) <- ``monitor`` <- ``engine`` (run the program
under ``mocks``, or against old state); ``plan`` <- ``analyzer`` (drive the pack); both <-
``report`` (format) <- ``pipeline`` (``review()``) <- ``cli``.
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
