"""Pipelines (MLOps): the failure a stage raises on purpose; the CLI prints its message, not a traceback."""


class StageFailed(Exception):
    """A stage refused to go on; the message names what is wrong and where to look."""
