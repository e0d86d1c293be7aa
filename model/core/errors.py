"""Input problems, collected and reported all at once.

Validation never stops at the first problem: every check appends a :class:`Problem`
naming the file, the line item and the field, and :class:`InputError` carries the
whole list. The CLI prints them and exits with code 2, without a traceback.

This module imports nothing heavy, so that the command line can catch an
:class:`InputError` (and stop cleanly on a signal) from its first instant; turning a
pydantic ``ValidationError`` into problems is :mod:`model.core.validation`'s job.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file.

    Attributes
    ----------
    file : str
        The file the problem is in.
    item : str or None
        The line item id (or a section name such as ``horizon``), when there is one.
    field : str or None
        Dotted path of the field inside the item, e.g. ``award.high``.
    message : str
        What is wrong, with the offending value where useful.
    """

    file: str
    item: str | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = [self.file]
        if self.item is not None:
            where.append(f"item '{self.item}'")
        if self.field:
            where.append(f"field '{self.field}'")
        return f"{': '.join(where)}: {self.message}"


class InputError(Exception):
    """Raised when an input file has one or more problems.

    Parameters
    ----------
    problems : sequence of Problem
        Every problem found; never empty.
    """

    def __init__(self, problems: Sequence[Problem]):
        if not problems:
            raise ValueError("InputError needs at least one problem")
        self.problems = list(problems)
        super().__init__(self.report())

    def __reduce__(self) -> tuple:
        # pickled with its problems (a worker process's error reaches the parent whole)
        return (type(self), (self.problems,))

    def report(self) -> str:
        """All problems, one per line, preceded by a count."""
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} found:"
        return "\n".join([head, *(f"  - {problem}" for problem in self.problems)])


__all__ = ["InputError", "Problem"]
