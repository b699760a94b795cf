"""Pipelines: `ingest.source` takes only the forms DVC can track as the ingest stage's dependency; a URL is read."""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pandas as pd
import pytest
import yaml
from pydantic import ValidationError

from {{ cookiecutter.package_name }}_pipelines import ingest
from {{ cookiecutter.package_name }}_pipelines.__main__ import main
from {{ cookiecutter.package_name }}_pipelines.errors import MissingInput
from {{ cookiecutter.package_name }}_pipelines.params import DVC_URL_PLUGINS, Ingest, tracked_schemes

# Cloud schemes whose DVC plugin this bake does not install (its cloud's is installed): DVC could not track them.
UNTRACKED_CLOUDS = [scheme for scheme, plugin in DVC_URL_PLUGINS.items() if importlib.util.find_spec(plugin) is None]
REFUSED = {
    "file:///srv/data/records.csv": "file://",
    "az://container/records.csv": "az://",  # fsspec's name for Azure Blob; DVC's is azure://
    "ftp://host/records.csv": "ftp://",
    "~/data/records.csv": "'~'",
    **{f"{scheme}://bucket/records.csv": f"{scheme}://" for scheme in UNTRACKED_CLOUDS},
}
ACCEPTED = [
    "core/data/records.csv",
    "/srv/data/records.parquet",
    "http://127.0.0.1/records.csv",
    "https://data.example/records.csv.gz",
    *(f"{scheme}://bucket/records.csv" for scheme in tracked_schemes() if not scheme.startswith("http")),
]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A folder served over HTTP on loopback (a free port, in a thread): (base URL, folder)."""
    folder = tmp_path / "served"
    folder.mkdir()
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(SimpleHTTPRequestHandler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", folder
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.mark.parametrize(("source", "named"), REFUSED.items())
def test_a_form_dvc_cannot_track_is_refused_naming_the_field(source: str, named: str) -> None:
    with pytest.raises(ValidationError) as raised:
        Ingest.model_validate({"source": source})
    (error,) = raised.value.errors()
    assert error["loc"] == ("source",)
    assert error["type"] == "value_error"
    assert named in error["msg"]
    assert "a path (relative to the project, or absolute)" in error["msg"]


@pytest.mark.parametrize("source", ACCEPTED)
def test_the_forms_dvc_tracks_are_accepted(source: str) -> None:
    assert Ingest.model_validate({"source": source}).source == source


@pytest.mark.parametrize("source", list(REFUSED)[:2])
def test_make_repro_stops_before_dvc_with_the_field_and_the_forms(
    params_file: Path, capsys: pytest.CaptureFixture[str], source: str
) -> None:
    """`make repro` runs `python -m <package>_pipelines params` first: one line naming ingest.source."""
    params = yaml.safe_load(params_file.read_text())
    params["ingest"]["source"] = source
    params_file.write_text(yaml.safe_dump(params))
    assert main(["params", "--params", str(params_file)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: params: {params_file}: ingest.source={source!r}: Value error, DVC ")
    assert err.count("\n") == 1


def test_a_missing_path_names_the_field_and_the_forms(tmp_path: Path) -> None:
    """The old `example` shortcut is gone: it is a path like any other, and this one does not exist."""
    with pytest.raises(MissingInput, match=r"ingest\.source 'example' does not exist; use a path \(relative"):
        ingest.run("example", tmp_path / "raw.parquet")
    assert not (tmp_path / "raw.parquet").exists()


def test_a_url_is_read_through_fsspec(example_frame: pd.DataFrame, served: tuple[str, Path], tmp_path: Path) -> None:
    base, folder = served
    example_frame.to_csv(folder / "batch.csv", index=False)
    source = f"{base}/batch.csv"
    assert Ingest.model_validate({"source": source}).source == source
    assert ingest.run(source, tmp_path / "raw.parquet") == len(example_frame)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "raw.parquet"), example_frame, check_dtype=False)
