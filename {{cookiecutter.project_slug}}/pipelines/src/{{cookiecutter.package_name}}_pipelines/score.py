"""Pipelines (MLOps): score — batch predictions for a CSV or Parquet file with the champion ONNX model.

    python -m <package>_pipelines score --input rows.csv --output scored.parquet
    make score INPUT=rows.csv OUTPUT=scored.parquet

Every row goes through core's contract first: a row that breaks it is written, with its reasons,
to the quarantine file (never dropped silently) and the others are scored; so is a CSV line with
more or fewer fields than the header. The model is refused unless its sha256 matches its card.
Output and quarantine are both written to temporary files first and then renamed into place (one
object upload each for a bucket URL), so a crash leaves no half file; only a crash between the
two renames can leave the new quarantine beside the previous output (docs/runbooks/batch-scoring.md).
The whole input is held in memory (about 1 GB per million rows of the example contract, measured
with bench/score.py): CHUNK_ROWS bounds each model call, not the run, so size the CronJob's
memory limit to the largest file.
Input, output and model may be local paths or bucket URLs (s3://, gs://, az://), as in the
in-cluster CronJob (infra/k8s/base/score-cronjob.yaml).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
from prometheus_client import CollectorRegistry, Gauge
from pydantic import TypeAdapter, ValidationError

from {{ cookiecutter.package_name }}_core import (
    FEATURE_COLUMNS,
    MISSING_TOKENS,
    NUMERIC_COLUMNS,
    TASK,
    Features,
    find_violations,
)

from .errors import StageFailed
from .files import read_frame, read_json
from .integrity import IntegrityError, verify
from .params import Params
from .publish import push
from .scoring import onnx_feed

DEFAULT_MODEL = "models/champion/model.onnx"
CARD_NAME = "model_card.json"
# Rows per model call and per contract check: bounds what those calls allocate (the frame itself
# is whole in memory) and is large enough to amortise each call.
CHUNK_ROWS = 50_000
# Columns the output or the quarantine file adds: an input column of the same name would be overwritten.
ROW_COLUMN, REASON_COLUMN, PREDICTION_COLUMN, PROBABILITY_PREFIX = "row", "reason", "prediction", "probability_"
FORMATS = (".csv", ".parquet")
# The contract over a whole chunk in one call (pydantic's core loops, not Python): it only finds
# which rows break the contract; find_violations then says why, row by row, for those alone.
RECORDS = TypeAdapter(list[Features])


class ScoringRefused(StageFailed):
    """The model, its card or the files named on the command line cannot be used as given."""


@dataclass(frozen=True)
class ScoreResult:
    rows: int
    scored: int
    quarantined: int
    output: str
    quarantine: str
    model_version: str
    seconds: float
    # What the scored rows were predicted: rows per class (classification), or the values' mean (regression).
    predicted: dict[str, float] = field(default_factory=dict)


def _is_url(location: str) -> bool:
    return "://" in location


def _suffix(location: str) -> str:
    for suffix in FORMATS:
        if location.endswith(suffix):
            return suffix
    raise ScoringRefused(f"cannot write {location!r}: name it .csv or .parquet")


@contextmanager
def _local_copy(location: str) -> Iterator[Path]:
    """A local path for a local file, or a temporary download of a bucket object."""
    if not _is_url(location):
        yield Path(location)
        return
    import fsspec

    with tempfile.TemporaryDirectory() as folder:
        local = Path(folder) / Path(location).name
        try:
            filesystem, path = fsspec.core.url_to_fs(location)
            filesystem.get_file(path, str(local))
        except FileNotFoundError as error:
            raise ScoringRefused(f"{location} does not exist") from error
        yield local


def _card_location(model: str) -> str:
    return model.rsplit("/", 1)[0] + "/" + CARD_NAME if "/" in model else CARD_NAME


def load_champion(model: str) -> tuple[ort.InferenceSession, dict[str, Any]]:
    """The ONNX model and its card (model_card.json beside it), refused unless the hashes match."""
    card_location = _card_location(model)
    with _local_copy(model) as onnx_path, _local_copy(card_location) as card_path:
        if not onnx_path.is_file():
            raise ScoringRefused(f"no model at {model}: run `make repro` (or pass --model)")
        if not card_path.is_file():
            raise ScoringRefused(f"no model card at {card_location}: the model cannot be verified, so it is not used")
        card: dict[str, Any] = read_json(card_path)
        try:
            verify(onnx_path, card, name=model)
        except IntegrityError as error:
            raise ScoringRefused(f"{error}; nothing was scored") from error
        session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    names = {node.name for node in session.get_inputs()}
    if names != set(FEATURE_COLUMNS):
        raise ScoringRefused(f"{model} expects inputs {sorted(names)}, the contract has {sorted(FEATURE_COLUMNS)}")
    return session, card


def _suspects(records: list[dict[str, Any]]) -> set[int]:
    """Positions of the rows the contract rejects, found chunk by chunk."""
    found: set[int] = set()
    for start in range(0, len(records), CHUNK_ROWS):
        try:
            RECORDS.validate_python(records[start : start + CHUNK_ROWS])
        except ValidationError as error:
            found |= {start + int(issue["loc"][0]) for issue in error.errors(include_url=False, include_input=False)}
    return found


def check_columns(columns: Sequence[str]) -> None:
    """Every contract column is there, and none has a name the output or quarantine file writes."""
    missing = [column for column in FEATURE_COLUMNS if column not in columns]
    if missing:
        raise ScoringRefused(f"the input has no column {', '.join(missing)}: every contract column is required")
    taken = [
        str(column)
        for column in columns
        if column in (ROW_COLUMN, REASON_COLUMN, PREDICTION_COLUMN) or str(column).startswith(PROBABILITY_PREFIX)
    ]
    if taken:
        raise ScoringRefused(
            f"the input has column(s) {', '.join(taken)}, which the output or quarantine file writes "
            f"({ROW_COLUMN}, {REASON_COLUMN}, {PREDICTION_COLUMN}, {PROBABILITY_PREFIX}<class>): rename them"
        )


def split_rows(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows that meet the contract, and the others with their row number and reasons."""
    check_columns(list(frame.columns))
    typed = frame[list(FEATURE_COLUMNS)].copy()
    for column in NUMERIC_COLUMNS:
        if not pd.api.types.is_numeric_dtype(typed[column]):
            # One bad cell makes a CSV reader keep the whole column as text: give the cells that
            # are numbers back their type, so only the bad cell's row is quarantined.
            numbers = pd.to_numeric(typed[column], errors="coerce")
            typed[column] = typed[column].astype(object).where(numbers.isna(), numbers)
    # Plain dicts of plain values, built column-wise (DataFrame.to_dict is several times slower).
    records = [
        dict(zip(FEATURE_COLUMNS, values, strict=True))
        for values in zip(*(typed[c].tolist() for c in FEATURE_COLUMNS), strict=True)
    ]
    reasons = {index: find_violations(records[index], labelled=False) for index in _suspects(records)}
    bad = sorted(index for index, problems in reasons.items() if problems)
    good = [index for index in range(len(records)) if not reasons.get(index)]
    quarantined = frame.iloc[bad].copy()
    quarantined.insert(0, ROW_COLUMN, bad)
    quarantined[REASON_COLUMN] = ["; ".join(str(problem) for problem in reasons[index]) for index in bad]
    return frame.iloc[good].reset_index(drop=True), quarantined.reset_index(drop=True)


def predict(session: ort.InferenceSession, card: dict[str, Any], frame: pd.DataFrame) -> pd.DataFrame:
    """The input's columns plus `prediction`: the label and one `probability_<class>` column per class
    (classification), or the predicted value (regression)."""
    outputs = [node.name for node in session.get_outputs()]
    parts = []
    for start in range(0, len(frame), CHUNK_ROWS):
        chunk = frame.iloc[start : start + CHUNK_ROWS]
        results = dict(zip(outputs, session.run(None, onnx_feed(chunk)), strict=True))
        scored = chunk.copy()
        scored[PREDICTION_COLUMN] = np.asarray(results[outputs[0]]).reshape(len(chunk))
        if "probabilities" in results:
            for position, label in enumerate(card.get("classes", [])):
                scored[f"{PROBABILITY_PREFIX}{label}"] = results["probabilities"][:, position]
        parts.append(scored)
    if not parts:
        return frame.assign(**{PREDICTION_COLUMN: pd.Series(dtype=object)})
    return pd.concat(parts, ignore_index=True)


def _write_local(frame: pd.DataFrame, path: Path) -> None:
    if path.name.endswith(".csv"):
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path, index=False)


def _temp_pattern(target: Path) -> tuple[str, str]:
    """Prefix and suffix of a temporary file of `target` (hidden, beside it, so the rename stays on one disk)."""
    return f".{target.name}.", f".tmp{_suffix(target.name)}"


def _file_mode() -> int:
    """The mode an ordinary new file gets under this process's umask (mkstemp's own 0600 would hide it)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def remove_stale_temporaries(target: Path) -> list[Path]:
    """Temporary files a crashed run left beside `target` (one writer per output name is assumed)."""
    prefix, suffix = _temp_pattern(target)
    stale = [p for p in target.parent.glob(f"{prefix}*{suffix}") if p.is_file()] if target.parent.is_dir() else []
    for path in stale:
        path.unlink(missing_ok=True)
    return stale


def probe_writable(location: str) -> None:
    """Refuse, before any work, an output whose folder cannot be created or written to (bucket URLs: at upload)."""
    if _is_url(location):
        return
    target = Path(location)
    if target.is_dir():
        raise ScoringRefused(f"cannot write {location}: it is a folder")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        prefix, suffix = _temp_pattern(target)
        handle, probe = tempfile.mkstemp(dir=target.parent, prefix=prefix, suffix=suffix)
        os.close(handle)
        os.unlink(probe)
    except OSError as error:
        raise ScoringRefused(f"cannot write {location}: {error.strerror or error} ({target.parent})") from error


def write_all_or_none(files: Sequence[tuple[pd.DataFrame, str]]) -> None:
    """Every file written to a temporary first; only when all are whole are they renamed (or uploaded) into place.

    A crash while writing leaves every previous file as it was; only a crash between two renames
    (or two uploads) can leave a new file beside an old one.
    """
    staged: list[tuple[Path, str]] = []
    with contextlib.ExitStack() as cleanup:
        try:
            for frame, location in files:
                suffix = _suffix(location)
                if _is_url(location):
                    folder = cleanup.enter_context(tempfile.TemporaryDirectory())
                    local = Path(folder) / f"upload{suffix}"
                else:
                    target = Path(location)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    prefix, suffix = _temp_pattern(target)
                    handle, name = tempfile.mkstemp(dir=target.parent, prefix=prefix, suffix=suffix)
                    os.close(handle)
                    local = Path(name)
                staged.append((local, location))
                _write_local(frame, local)
                if not _is_url(location):
                    os.chmod(local, _file_mode())
            for local, location in staged:
                if _is_url(location):
                    import fsspec

                    filesystem, path = fsspec.core.url_to_fs(location)
                    filesystem.put_file(str(local), path)
                else:
                    os.replace(local, location)
        except BaseException:
            for local, location in staged:
                if not _is_url(location):
                    local.unlink(missing_ok=True)
            raise


def write_atomic(frame: pd.DataFrame, location: str) -> None:
    """Write a whole file or nothing: temp file + os.replace locally, one upload for a bucket URL."""
    write_all_or_none([(frame, location)])


def read_rows(source: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The input's rows, and (CSV) the lines that have more or fewer fields than its header, as quarantine rows.

    Such a line is skipped by the reader, not the whole file refused; its `row` is its position
    among the data lines (the header is not a row), as for every other quarantined row.
    """
    if not source.endswith((".csv", ".csv.gz")):
        return read_frame(source), pd.DataFrame()
    malformed: list[dict[str, Any]] = []

    def keep_aside(line: Any) -> str:
        text = (line.text or "")[:200]
        malformed.append(
            {
                ROW_COLUMN: (line.number - 2) if line.number is not None else -1,
                REASON_COLUMN: f"line {line.number} has {line.actual_columns} fields, "
                f"the header has {line.expected_columns}: {text}",
            }
        )
        return "skip"

    with _local_copy(source) as local:
        table = pacsv.read_csv(
            local,
            # One thread: only then does the reader know each line's number.
            read_options=pacsv.ReadOptions(use_threads=False),
            parse_options=pacsv.ParseOptions(invalid_row_handler=keep_aside),
            convert_options=pacsv.ConvertOptions(null_values=sorted(MISSING_TOKENS), strings_can_be_null=True),
        )
    frame = table.to_pandas()
    return frame, pd.DataFrame(malformed)


def _file_rows(frame_rows: int, malformed: pd.DataFrame) -> np.ndarray:
    """For each row of the frame, its position among the file's data lines (the skipped lines counted)."""
    skipped = malformed[ROW_COLUMN].to_numpy() if len(malformed) else np.array([], dtype=int)
    return np.setdiff1d(np.arange(frame_rows + len(skipped)), skipped)[:frame_rows]


def publish_champion(model: str, destination: str) -> list[str]:
    """Copy the verified model and its card into the folder `destination` (the CronJob's SCORE_MODEL folder).

    The model goes first, its card last: a reader between the two sees a model that does not match
    its card and refuses it, never a wrong model taken for the champion.
    """
    load_champion(model)  # refused unless it matches its card and the contract
    written = []
    for location in (model, _card_location(model)):
        name = location.rsplit("/", 1)[-1]
        target = destination.rstrip("/") + "/" + name
        with _local_copy(location) as local:
            if _is_url(target):
                import fsspec

                filesystem, path = fsspec.core.url_to_fs(target)
                filesystem.put_file(str(local), path)
            else:
                folder = Path(target).parent
                folder.mkdir(parents=True, exist_ok=True)
                handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
                os.close(handle)
                try:
                    shutil.copyfile(local, temporary)
                    os.chmod(temporary, _file_mode())
                    os.replace(temporary, target)
                except BaseException:
                    Path(temporary).unlink(missing_ok=True)
                    raise
        written.append(target)
    return written


def default_quarantine(output: str) -> str:
    """`scored.parquet` -> `scored.quarantine.csv`: readable by a person, next to the output."""
    stem = output[: -len(_suffix(output))]
    return f"{stem}.quarantine.csv"


def prediction_summary(scored: pd.DataFrame) -> dict[str, float]:
    """Rows per predicted class, or (regression) the mean predicted value, for the pushed metrics."""
    if scored.empty:
        return {}
    if TASK == "regression":
        return {"mean": round(float(scored[PREDICTION_COLUMN].astype(float).mean()), 6)}
    return {str(label): float(count) for label, count in scored[PREDICTION_COLUMN].value_counts().sort_index().items()}


def score_metrics(result: ScoreResult) -> CollectorRegistry:
    """The run's figures as gauges; the predictions per task (rows per class, or the mean value)."""
    registry = CollectorRegistry()
    if TASK == "regression":
        mean = Gauge("batch_score_prediction_mean", "Mean predicted value of the last run.", registry=registry)
        if "mean" in result.predicted:
            mean.set(result.predicted["mean"])
    else:
        by_class = Gauge(
            "batch_score_predictions", "Rows of the last run predicted as each class.", ["class"], registry=registry
        )
        for label, count in result.predicted.items():
            by_class.labels(label).set(count)
    rows = Gauge("batch_score_rows", "Rows of the last batch-scoring run, by outcome.", ["outcome"], registry=registry)
    rows.labels("scored").set(result.scored)
    rows.labels("quarantined").set(result.quarantined)
    Gauge(
        "batch_score_last_success_timestamp_seconds", "When batch scoring last finished.", registry=registry
    ).set_to_current_time()
    Gauge("batch_score_duration_seconds", "Wall time of the last batch-scoring run.", registry=registry).set(
        result.seconds
    )
    return registry


def score_file(source: str, output: str, *, model: str = DEFAULT_MODEL, quarantine: str | None = None) -> ScoreResult:
    """Score one file; the quarantine file is always written (empty when every row is good)."""
    started = time.perf_counter()
    quarantine = quarantine or default_quarantine(output)
    for location in (output, quarantine):
        _suffix(location)  # refuse a name we cannot write before any work is done
    if not _is_url(source) and not Path(source).is_file():
        raise ScoringRefused(f"no input file at {source}")
    for location in (output, quarantine):
        probe_writable(location)
        if not _is_url(location):
            remove_stale_temporaries(Path(location))
    session, card = load_champion(model)
    try:
        frame, malformed = read_rows(source)
    except (ValueError, pa.ArrowInvalid) as error:
        raise ScoringRefused(f"cannot read {source}: {error}") from error
    good, bad = split_rows(frame)
    if len(malformed):
        bad[ROW_COLUMN] = _file_rows(len(frame), malformed)[bad[ROW_COLUMN].to_numpy(dtype=int)]
        bad = pd.concat([bad, malformed], ignore_index=True).sort_values(ROW_COLUMN, ignore_index=True)
    scored = predict(session, card, good)
    write_all_or_none([(scored, output), (bad, quarantine)])
    return ScoreResult(
        rows=len(frame) + len(malformed),
        scored=len(scored),
        quarantined=len(bad),
        output=output,
        quarantine=quarantine,
        model_version=str(card.get("version", "")),
        seconds=time.perf_counter() - started,
        predicted=prediction_summary(scored),
    )


def parser() -> argparse.ArgumentParser:
    environ = os.environ.get
    cli = argparse.ArgumentParser(prog=f"python -m {__name__}", description=__doc__.splitlines()[0])
    cli.add_argument("--input", default=environ("SCORE_INPUT"), help="CSV or Parquet file or URL (env SCORE_INPUT)")
    cli.add_argument(
        "--output", default=environ("SCORE_OUTPUT"), help=".csv or .parquet path or URL (env SCORE_OUTPUT)"
    )
    cli.add_argument(
        "--quarantine",
        default=environ("SCORE_QUARANTINE") or None,
        help="bad rows and reasons (default: <output>.quarantine.csv; env SCORE_QUARANTINE)",
    )
    cli.add_argument(
        "--model",
        default=environ("SCORE_MODEL") or DEFAULT_MODEL,
        help="ONNX model with model_card.json beside it (default: %(default)s; env SCORE_MODEL)",
    )
    cli.add_argument(
        "--publish-champion",
        metavar="FOLDER",
        help="score nothing: copy the verified --model and its card into FOLDER, e.g. <bucket>/models/champion/",
    )
    return cli


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parser().parse_args(argv)
    if arguments.publish_champion:
        try:
            written = publish_champion(arguments.model, arguments.publish_champion)
        except (StageFailed, OSError, ValueError) as error:
            print(f"error: score: {error}", file=sys.stderr)
            return 1
        print(f"score: published the verified champion {arguments.model} -> {', '.join(written)}")
        return 0
    if not arguments.input or not arguments.output:
        print("error: score: give --input and --output (or SCORE_INPUT and SCORE_OUTPUT)", file=sys.stderr)
        return 2
    try:
        result = score_file(arguments.input, arguments.output, model=arguments.model, quarantine=arguments.quarantine)
    except (StageFailed, OSError, ValueError) as error:
        print(f"error: score: {error}", file=sys.stderr)
        return 1
    rate = result.rows / result.seconds if result.seconds else 0.0
    print(
        f"score: {result.scored} of {result.rows} rows scored with model {result.model_version} -> {result.output}; "
        f"{result.quarantined} quarantined with reasons -> {result.quarantine} ({rate:,.0f} rows/s)"
    )
    push(score_metrics(result), "score")
    return 0


def stage(p: Params) -> None:
    """`python -m <package>_pipelines score`: the same, configured by the SCORE_* variables."""
    del p  # scoring reads no pipeline parameter: its files are the caller's
    code = main([])
    if code:
        raise ScoringRefused("batch scoring failed (see the message above)")


if __name__ == "__main__":
    sys.exit(main())
