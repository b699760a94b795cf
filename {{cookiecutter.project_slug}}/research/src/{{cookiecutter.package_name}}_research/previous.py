"""Research (Data Scientists): the dataset a re-run of `make dataset` replaces — found, checked, then removed.

schema.py's DATA_FILE and SAMPLE_FILE name it. A run under another name refuses if removing them would lose
unrecorded changes, `dvc remove`s the old pointer once the new data is tracked, and deletes the old files last.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from .errors import WorkspaceError
from .workspace import run_tool

# The names in schema.py that say which files in core's data/ folder are the dataset.
DECLARATIONS = ("DATA_FILE", "SAMPLE_FILE")
# What `dvc status` may say of the old data file that still loses nothing: the file matches its pointer
# (no entry at all), or it is not in this checkout (a clone that never pulled it).
_NOTHING_TO_LOSE = frozenset({"deleted"})


@dataclass(frozen=True)
class Previous:
    """The previous dataset's files that exist and are not the new dataset's, in core's data/ folder."""

    data_file: str | None
    data: Path | None
    pointer: Path | None
    sample: Path | None

    @property
    def files(self) -> list[Path]:
        """The files to delete once the new dataset is in place (the pointer goes through `dvc remove`)."""
        return [path for path in (self.data, self.sample) if path is not None]

    def describe(self, project: Path) -> str | None:
        """The report's one line on what was replaced, or None when nothing was."""
        removed = [path.name for path in (self.data, self.pointer, self.sample) if path is not None]
        if not removed:
            return None
        names = [f"{name} (and its .gitignore line)" if name.endswith(".dvc") else name for name in removed]
        folder = next(path for path in (self.data, self.pointer, self.sample) if path is not None).parent
        if not has_commit(project):  # a fresh bake, nothing committed yet: the template still has the example
            kept = "a new bake of the template has them"
        else:
            kept = "git's history and DVC's cache keep them" if self.pointer else "git's history keeps them"
        return (
            f"replaced the previous dataset {self.data_file}: removed {', '.join(names)} from"
            f" {folder.relative_to(project)} ({kept})"
        )


def declared_files(schema: Path) -> dict[str, str]:
    """`DATA_FILE` and `SAMPLE_FILE` as the current schema.py declares them: read, not run (it may be hand-edited)."""
    try:
        tree = ast.parse(schema.read_text(encoding="utf-8"), filename=str(schema))
    except SyntaxError as error:
        raise WorkspaceError(
            None,
            f"{schema.name} does not parse (line {error.lineno}), so the previous dataset's files are unknown:"
            " restore it (`git checkout -- <path>`) and run make dataset again",
        ) from error
    declared = {}
    for node in tree.body:
        match node:  # `NAME = "file"` or `NAME: str = "file"`, a file name in data/ (never a path out of it)
            case (
                ast.Assign(targets=[ast.Name(id=name)], value=ast.Constant(value=str() as file))
                | ast.AnnAssign(target=ast.Name(id=name), value=ast.Constant(value=str() as file))
            ) if name in DECLARATIONS and Path(file).name == file:
                declared[name] = file
    return declared


def find_previous(schema: Path, folder: Path, new: Collection[Path]) -> Previous:
    """The previous dataset's existing files in `folder`, leaving out any path in `new` (the run's own files and
    its input CSV): a same-name run replaces nothing."""
    declared = declared_files(schema)
    kept = {path.resolve() for path in new}

    def existing(name: str | None) -> Path | None:
        path = folder / name if name else None
        return path if path is not None and path.exists() and path.resolve() not in kept else None

    data_file = declared.get("DATA_FILE")
    data = existing(data_file)
    pointer = existing(f"{data_file}.dvc" if data_file else None)
    sample = existing(declared.get("SAMPLE_FILE"))
    # The bundled example is its own sample: one file.
    return Previous(data_file, data, pointer, None if sample == data else sample)


def check_nothing_lost(project: Path, previous: Previous) -> None:
    """Refuse (before anything is written) when deleting the previous files would lose unrecorded changes."""
    if previous.pointer is not None and previous.data is not None:
        pointer = str(previous.pointer.relative_to(project))
        status = json.loads(run_tool(project, "dvc", "status", "--json", pointer) or "{}")
        states = {state for entry in status.get(pointer, []) for state in entry.get("changed outs", {}).values()}
        if states - _NOTHING_TO_LOSE:
            data = previous.data.relative_to(project)
            raise WorkspaceError(
                None,
                f"{data} is {', '.join(sorted(states))} since DVC recorded it in {previous.pointer.name}, and"
                f" replacing the dataset would lose that: `uv run dvc add {data}` to keep it, or"
                f" `uv run dvc checkout {data}` to drop it, then run make dataset again",
            )
    in_git = [path for path in previous.files if path != previous.data or previous.pointer is None]
    if in_git:
        relative = [str(path.relative_to(project)) for path in in_git]
        status = run_tool(project, "git", "status", "--porcelain", "--", *relative).splitlines()
        changed = [line[3:] for line in status if unrecorded(line, has_commit(project))]
        if changed:
            raise WorkspaceError(
                None,
                f"{', '.join(changed)}: changed since git last recorded it (the last commit, or the staged file"
                " before any commit), and replacing the dataset would lose that: commit or restore it, then run"
                " make dataset again",
            )


def has_commit(project: Path) -> bool:
    """Whether the repository has a commit yet (`make setup` stages a new project's files and commits nothing)."""
    try:
        run_tool(project, "git", "rev-parse", "--verify", "--quiet", "HEAD")
    except WorkspaceError:
        return False
    return True


def unrecorded(line: str, committed: bool) -> bool:
    """Whether a `git status --porcelain` line shows an unrecorded change: the work tree against the index, or
    the index against the last commit (before any commit the staged file is all git has; `??` was never recorded)."""
    if line.startswith("??"):
        return False
    return line[1] != " " or (committed and line[0] != " ")


def stop_tracking(project: Path, previous: Previous) -> None:
    """`dvc remove` the previous pointer: the `.dvc` file and its .gitignore line (the data file stays, for now)."""
    if previous.pointer is not None:
        pointer = str(previous.pointer.relative_to(project))
        run_tool(project, "dvc", "remove", pointer)
        # DVC's autostage (or a commit) put the pointer in git's index, and `dvc remove` leaves it there: stage
        # its removal and the edited .gitignore, so that no commit can carry the old pointer.
        run_tool(project, "git", "rm", "--cached", "--quiet", "--ignore-unmatch", "--", pointer)
        run_tool(project, "git", "add", "--update", "--", str(Path(pointer).with_name(".gitignore")))


def delete_files(previous: Previous) -> None:
    """Delete the previous data file and sample: the last step, once everything else succeeded."""
    for path in previous.files:
        path.unlink(missing_ok=True)
