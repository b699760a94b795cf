"""Pipelines (MLOps): the failures a stage raises on purpose; the CLI prints `error: <stage>: <message>`, no traceback.

Anything else a stage raises is a bug and keeps its traceback.
"""


class StageFailed(Exception):
    """A stage refused to go on; the message names what is wrong and where to look."""


class MissingInput(StageFailed, FileNotFoundError):
    """A file or source the stage reads is not there (fix the path in params.yaml, or run the stage before)."""


class BadInput(StageFailed, ValueError):
    """An input is there but cannot be used: its format, its columns or its rows."""
