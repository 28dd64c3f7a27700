"""Errors the review engine reports to its callers (the CLI maps them to exit code 2)."""

from __future__ import annotations


class ReviewError(Exception):
    """A configuration, program or policy-pack problem that stops the review.

    The message is one line naming the file/key at fault and, where there is one, the fix.
    """


class ProgramError(ReviewError):
    """The Pulumi program raised (or logged an error) while running under the mocks.

    A ``pulumi.RunError`` (the program's ConfigError: bad input, already one line naming the
    stack file, the key and the fix) reads as the real language host prints it, ``str(e)``
    alone: its type and the line that raised it (always the same re-raise in the settings)
    say nothing to whoever wrote the stack file. Any other exception keeps the message it
    was given (its type, and where in the program it was raised)."""

    def __init__(self, message: str, *, original: BaseException | None = None) -> None:
        if original is not None:
            import pulumi

            if isinstance(original, pulumi.RunError) and str(original).strip():
                message = " ".join(str(original).split())
        super().__init__(message)
        self.original = original
