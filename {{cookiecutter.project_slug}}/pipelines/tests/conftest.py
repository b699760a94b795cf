"""Pipelines: small fixtures — a few contract-valid rows and a params file pointing into a temp dir."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from {{ cookiecutter.package_name }}_core import iter_example_records

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def example_frame() -> pd.DataFrame:
    """Every fourth row of the example data: all classes and islands, a quarter of the rows."""
    return pd.DataFrame(list(iter_example_records())).iloc[::4].reset_index(drop=True)


@pytest.fixture
def params_file(tmp_path: Path) -> Path:
    """The repository's params.yaml with every path moved under tmp_path."""
    params = yaml.safe_load((REPO_ROOT / "params.yaml").read_text())
    params["paths"] = {key: str(tmp_path / value) for key, value in params["paths"].items()}
    params["monitor"]["current"] = str(tmp_path / params["monitor"]["current"])
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params))
    return path
