"""Pipelines (MLOps): the failures a stage raises on purpose; the CLI prints their message once, not a traceback.

Anything else a stage raises is a bug, and the CLI lets it through with its traceback. A message
names what is wrong and where to look, but not the stage: the CLI prefixes it (`error: <stage>: ...`).
Each stage module subclasses these for its own refusals (ContractError, ParityError, BelowFloor, ...).
"""


class StageFailed(Exception):
    """A stage refused to go on; the message names what is wrong and where to look."""


class MissingInput(StageFailed, FileNotFoundError):
    """A file or source the stage reads is not there (fix the path in params.yaml, or run the stage before)."""


class BadInput(StageFailed, ValueError):
    """An input is there but cannot be used: its format, its columns or its rows."""
