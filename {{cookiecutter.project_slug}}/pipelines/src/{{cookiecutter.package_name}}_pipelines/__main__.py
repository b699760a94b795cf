"""Pipelines (MLOps): command line of the stages — `python -m <package>_pipelines <stage>`.

Each stage reads params.yaml and imports only its own module. A refusal (errors.StageFailed, or core's
CardError) prints one line and exits 1; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
from collections.abc import Sequence
from pathlib import Path

from {{ cookiecutter.package_name }}_core import CardError

from .errors import StageFailed
from .params import load_params

PACKAGE = __package__ or __name__.rpartition(".")[0]
# stage -> (module, function). `register` is the MLflow or the git-committed registry, chosen at
# bake time; `champion` is not a DVC stage: `make champion` runs it before an image is built.
STAGES: dict[str, tuple[str, str]] = {
    "ingest": ("ingest", "stage"),
    "validate": ("validate", "stage"),
    "split": ("split", "stage"),
    "train": ("train", "stage"),
    "evaluate": ("evaluate", "stage"),
    "export": ("export", "stage"),
    "register": ("register", "stage"),
    "champion": ("register", "champion_stage"),
    "simulate_drift": ("monitor", "simulate_stage"),
    "monitor": ("monitor", "stage"),
    # Not a DVC stage: checks params.yaml only (`make repro` runs it first, since DVC reads `ingest.source` as a
    # dependency before any stage could name what is wrong with it).
    "params": ("params", "check"),
    # Not a DVC stage: batch scoring of the SCORE_INPUT file (see score.py, `make score`).
    "score": ("score", "stage"),
    # Not a DVC stage: the last run's headline figures from reports/ (`make metrics`).
    "metrics": ("headline", "show"),
}


def available_stages() -> list[str]:
    return [name for name, (module, _) in STAGES.items() if importlib.util.find_spec(f"{PACKAGE}.{module}")]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=f"python -m {PACKAGE}", description=__doc__)
    parser.add_argument("stage", choices=available_stages())
    parser.add_argument(
        "--params", type=Path, default=Path("params.yaml"), help="parameters file (default: %(default)s)"
    )
    arguments = parser.parse_args(argv)
    module, function = STAGES[arguments.stage]
    try:
        params = load_params(arguments.params)
        getattr(importlib.import_module(f"{PACKAGE}.{module}"), function)(params)
    except (StageFailed, CardError) as error:
        print(f"error: {arguments.stage}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
