"""Research (Data Scientists): run the project's tools (DVC, git, ruff) for `make dataset`; each failure a WorkspaceError."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from .errors import WorkspaceError


def run_tool(project: Path, tool: str, *args: str, stdin: str | None = None) -> str:
    """Run `tool args` in the project and return its output; a missing tool or a failure names the command."""
    found = shutil.which(tool)
    if found is None:
        raise WorkspaceError(None, f"{tool} is not on PATH: run `make setup` (make dataset runs through `uv run`)")
    result = subprocess.run([found, *args], cwd=project, input=stdin, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        command = " ".join((tool, *args))
        raise WorkspaceError(None, f"`{command}` failed: {result.stderr.strip() or result.stdout.strip()}")
    return result.stdout
