"""Errors the review engine reports to its callers (the CLI maps them to exit code 2)."""

from __future__ import annotations


class ReviewError(Exception):
    """A configuration, program or policy-pack problem that stops the review.

    The message is one line naming the file/key at fault and, where there is one, the fix.
    """


class ProgramError(ReviewError):
    """The Pulumi program raised (or logged an error) while running under the mocks."""

    def __init__(self, message: str, *, original: BaseException | None = None) -> None:
        super().__init__(message)
        self.original = original
