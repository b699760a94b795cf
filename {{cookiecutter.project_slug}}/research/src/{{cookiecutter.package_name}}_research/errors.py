"""Research (Data Scientists): why `make dataset` refused a CSV — each error names the column and the problem."""

from __future__ import annotations


class DatasetError(Exception):
    """A CSV or target that cannot become the project's dataset; nothing was written."""

    def __init__(self, column: str | None, problem: str) -> None:
        self.column = column
        self.problem = problem
        super().__init__(f"column {column!r}: {problem}" if column is not None else problem)


class SourceError(DatasetError):
    """The CSV itself: missing, unreadable, unparsable, empty."""


class TargetError(DatasetError):
    """The target column: absent, all missing, a single class, not numeric for regression, too many classes."""


class ColumnError(DatasetError):
    """A feature column or an option naming one: unknown in KEEP/DROP, a name clash after snake_case, none left."""


class WorkspaceError(DatasetError):
    """The project, not the CSV: a tool missing from the environment, or DVC refusing the data file."""
