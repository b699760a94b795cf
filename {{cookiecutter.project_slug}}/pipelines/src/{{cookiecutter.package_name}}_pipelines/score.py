"""Pipelines (MLOps): score — batch predictions for a CSV or Parquet file with the champion ONNX model.

    python -m <package>_pipelines score --input rows.csv --output scored.parquet
    make score INPUT=rows.csv OUTPUT=scored.parquet

The input is streamed a block at a time through the reader `ingest` uses (files.iter_batches) and
checked column-wise by the checker `validate` uses (validate.check): a row that breaks the contract
is written, with its reasons, to the quarantine file (never dropped silently) and the others are
scored; so is a CSV line with more or fewer fields than the header. Memory follows the block, not
the file. The model is refused unless its sha256 matches its card. Output and quarantine are written
block by block to temporary files and put into place together (files.staged), so a crash leaves no
half file (docs/runbooks/batch-scoring.md). Input, output and model may be local paths or bucket URLs
(every scheme `ingest.source` takes), as in the in-cluster CronJob (infra/k8s/base/score-cronjob.yaml).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from prometheus_client import CollectorRegistry, Gauge

from {{ cookiecutter.package_name }}_core import (
    CARD_NAME,
    FEATURE_COLUMNS,
    TASK,
    CardError,
    Features,
    ModelCard,
    find_violations,
    load_verified,
)

from .errors import StageFailed
from .files import (
    BatchFile,
    SourceError,
    contract_types,
    is_url,
    iter_batches,
    normalise_url,
    probe_writable,
    remove_stale_temporaries,
    source_columns,
    staged,
)
from .params import Params
from .publish import push
from .scoring import onnx_feed
from .validate import Findings, check, check_rows, column_rules

DEFAULT_MODEL = "models/champion/model.onnx"
# Rows per block of a Parquet input, bytes per block of a CSV one: what one contract check and one
# model call see, and so what bounds the run's memory (bench/score.py measures it).
CHUNK_ROWS = 100_000
CHUNK_BYTES = 4 << 20
# Columns the output or the quarantine file adds: an input column of the same name would be overwritten.
ROW_COLUMN, REASON_COLUMN, PREDICTION_COLUMN, PROBABILITY_PREFIX = "row", "reason", "prediction", "probability_"
FORMATS = (".csv", ".parquet")
# How a number is written in a CSV cell: a cell that does not match is not of its column's type.
NUMBER_TEXT = {"float": r"^[+-]?((\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|[iI]nf(inity)?)$", "int": r"^[+-]?\d+$"}


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


def _suffix(location: str) -> str:
    for suffix in FORMATS:
        if location.endswith(suffix):
            return suffix
    raise ScoringRefused(f"cannot write {location!r}: name it .csv or .parquet")


@contextmanager
def _local_copy(location: str) -> Iterator[Path]:
    """A local path for a local file, or a temporary download of a bucket object."""
    if not is_url(location):
        yield Path(location)
        return
    import fsspec

    with tempfile.TemporaryDirectory() as folder:
        local = Path(folder) / Path(location).name
        try:
            filesystem, path = fsspec.core.url_to_fs(normalise_url(location))
            filesystem.get_file(path, str(local))
        except FileNotFoundError as error:
            raise ScoringRefused(f"{location} does not exist") from error
        yield local


def _card_location(model: str) -> str:
    return model.rsplit("/", 1)[0] + "/" + CARD_NAME if "/" in model else CARD_NAME


def load_champion(model: str) -> tuple[ort.InferenceSession, ModelCard]:
    """The ONNX model and its card (CARD_NAME beside it), refused unless the hashes match."""
    card_location = _card_location(model)
    with _local_copy(model) as onnx_path, _local_copy(card_location) as card_path:
        if not onnx_path.is_file():
            raise ScoringRefused(f"no model at {model}: run `make repro` (or pass --model)")
        if not card_path.is_file():
            raise ScoringRefused(f"no model card at {card_location}: the model cannot be verified, so it is not used")
        try:
            onnx_bytes, card = load_verified(onnx_path, card_path)
        except CardError as error:
            raise ScoringRefused(f"{model}: {error}; nothing was scored") from error
        # One intra-op thread, as the service's default: the model is small next to the reading, checking and
        # writing around it, and onnxruntime's spinning thread pool would compete with them for the cores.
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        session = ort.InferenceSession(onnx_bytes, options, providers=["CPUExecutionProvider"])
    names = {node.name for node in session.get_inputs()}
    if names != set(FEATURE_COLUMNS):
        raise ScoringRefused(f"{model} expects inputs {sorted(names)}, the contract has {sorted(FEATURE_COLUMNS)}")
    return session, card


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


def parse_text(column: pa.Array, kind: pa.DataType) -> tuple[pa.Array, np.ndarray]:
    """A CSV's text column as the contract's type, and a mask of the cells that are not of that type.

    Those cells become gaps here; their rows are quarantined with the text as it was written.
    """
    try:
        return column.cast(kind), np.zeros(len(column), dtype=bool)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    if _is_number(kind):  # the cells that look like numbers, found column-wise
        fits = pc.fill_null(
            pc.match_substring_regex(column, NUMBER_TEXT["int" if pa.types.is_integer(kind) else "float"]), True
        )
        with contextlib.suppress(pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return pc.if_else(fits, column, None).cast(kind), _false(fits)
    # Anything else, or a number the pattern let through: each distinct value is tried alone.
    good = [value for value in pc.unique(column).to_pylist() if value is not None and _casts(value, kind)]
    fits = pc.or_(pc.is_in(column, value_set=pa.array(good, type=column.type)), pc.is_null(column))
    return pc.if_else(fits, column, None).cast(kind), _false(fits)


def _false(mask: pa.Array) -> np.ndarray:
    return ~np.asarray(mask.to_numpy(zero_copy_only=False), dtype=bool)


def _is_number(kind: pa.DataType) -> bool:
    return bool(pa.types.is_integer(kind) or pa.types.is_floating(kind))


def _casts(value: str, kind: pa.DataType) -> bool:
    try:
        pa.array([value]).cast(kind)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return False
    return True


@dataclass
class Malformed:
    """CSV lines with the wrong number of fields, set aside by the reader as it meets them."""

    rows: list[int] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    def handle(self, line: pacsv.InvalidRow) -> str:
        text = (line.text or "")[:200]
        # Its position among the data lines (the header, line 1, is not a row), as for every quarantined row.
        self.rows.append(line.number - 2 if line.number is not None else -1)
        self.reasons.append(
            f"line {line.number} has {line.actual_columns} fields, the header has {line.expected_columns}: {text}"
        )
        return "skip"

    def take(self, before: int | None) -> tuple[list[int], list[str]]:
        """The lines set aside whose row is below `before` (all of them: None), forgotten here."""
        count = len(self.rows) if before is None else sum(1 for row in self.rows if row < before)
        taken = self.rows[:count], self.reasons[:count]
        del self.rows[:count], self.reasons[:count]
        return taken


@dataclass
class Totals:
    """What a run has counted so far, block by block."""

    rows: int = 0
    scored: int = 0
    quarantined: int = 0
    next_row: int = 0  # the file row of the next row the reader gives (set-aside lines counted)
    classes: Counter[str] = field(default_factory=Counter)
    total: float = 0.0  # sum of the predicted values (regression)


class Scorer:
    """One block at a time: the contract's checks, the model's predictions, the quarantine's rows."""

    def __init__(self, session: ort.InferenceSession, card: ModelCard, *, text: bool) -> None:
        self.session, self.card, self.text = session, card, text
        self.outputs = [node.name for node in session.get_outputs()]
        self.types = {name: kind for name, kind in contract_types().items() if name in FEATURE_COLUMNS}
        self.rules = column_rules(Features)
        self.totals = Totals()

    def features(self, batch: pa.RecordBatch) -> tuple[pa.Table, dict[str, np.ndarray]]:
        """The contract's columns typed by the contract, and per column the cells that are not of its type."""
        columns, unfit = {}, {}
        for name in FEATURE_COLUMNS:
            column, kind = batch.column(name), self.types[name]
            if self.text and kind is not None and kind != column.type:
                column, bad = parse_text(column, kind)
                if bad.any():
                    unfit[name] = bad
            columns[name] = column
        return pa.table(columns), unfit

    def findings(self, features: pa.Table) -> Findings:
        return check_rows(features, Features) if self.rules is None else check(features, self.rules)

    def block(
        self, batch: pa.RecordBatch, malformed: Malformed, *, last: bool = False
    ) -> tuple[pa.RecordBatch, pa.RecordBatch]:
        """The block's scored rows, and its quarantined rows with the lines set aside before its end (all: `last`)."""
        features, unfit = self.features(batch)
        findings = self.findings(features)
        reasons = dict(zip(np.flatnonzero(findings.bad).tolist(), findings.reasons, strict=True))
        unfit_rows = np.logical_or.reduce(list(unfit.values())) if unfit else np.zeros(batch.num_rows, dtype=bool)
        for index in np.flatnonzero(unfit_rows).tolist():  # a cell not of its type: the row's reasons, as written
            record = features.slice(index, 1).to_pylist()[0]
            record.update({name: batch.column(name)[index].as_py() for name, mask in unfit.items() if mask[index]})
            reasons[index] = "; ".join(str(violation) for violation in find_violations(record, labelled=False))
        bad = np.zeros(batch.num_rows, dtype=bool)
        bad[list(reasons)] = True
        file_rows = self.file_rows(batch.num_rows, malformed)
        lines = malformed.take(None if last else self.totals.next_row)
        quarantined = self.quarantined(batch, bad, file_rows, reasons, lines)
        good = np.flatnonzero(~bad)
        typed = batch
        for name in FEATURE_COLUMNS if self.text else ():
            typed = typed.set_column(typed.schema.get_field_index(name), name, features.column(name).combine_chunks())
        scored = self.predict(typed.take(pa.array(good)))
        self.totals.rows += batch.num_rows
        self.totals.scored += scored.num_rows
        self.totals.quarantined += int(bad.sum())
        return scored, quarantined

    def file_rows(self, rows: int, malformed: Malformed) -> np.ndarray:
        """Each row's position among the file's data lines: the lines set aside keep their own numbers."""
        start = self.totals.next_row
        skipped = [row for row in malformed.rows if row >= start]
        numbers = np.arange(start, start + rows + len(skipped), dtype=np.int64)
        if skipped:
            numbers = numbers[~np.isin(numbers, skipped)]
        numbers = numbers[:rows]
        if rows:
            self.totals.next_row = int(numbers[-1]) + 1
        return numbers

    def quarantined(
        self, batch: pa.RecordBatch, bad: np.ndarray, file_rows: np.ndarray, reasons: dict[int, str],
        lines: tuple[list[int], list[str]],
    ) -> pa.RecordBatch:  # fmt: skip
        """The bad rows as read, with `row` and `reason`, merged in row order with the lines set aside."""
        positions = np.flatnonzero(bad)
        rows, (numbers, why) = batch.take(pa.array(positions, pa.int64())), lines
        self.totals.quarantined += len(numbers)
        self.totals.rows += len(numbers)
        arrays = [pa.array(np.concatenate([file_rows[positions], np.asarray(numbers, dtype=np.int64)]), pa.int64())]
        arrays += [pa.concat_arrays([column, pa.nulls(len(numbers), column.type)]) for column in rows.columns]
        arrays.append(pa.array([reasons[index] for index in positions.tolist()] + why, pa.string()))
        table = pa.Table.from_arrays(arrays, names=[ROW_COLUMN, *batch.schema.names, REASON_COLUMN])
        if not table.num_rows:
            return pa.RecordBatch.from_arrays(arrays, schema=table.schema)
        return table.sort_by(ROW_COLUMN).combine_chunks().to_batches()[0]

    def predict(self, rows: pa.RecordBatch) -> pa.RecordBatch:
        """The rows plus `prediction`: the label and one `probability_<class>` per class, or the predicted value."""
        classes = self.card.classes
        count = rows.num_rows
        if count:
            feed = onnx_feed(pa.Table.from_batches([rows]).select(list(FEATURE_COLUMNS)).to_pandas())
            results = dict(zip(self.outputs, self.session.run(None, feed), strict=True))
            first = np.asarray(results[self.outputs[0]]).reshape(count)
            probabilities = np.asarray(results.get("probabilities", np.zeros((count, 0))))
        else:
            first, probabilities = np.array([], dtype=object), np.zeros((0, len(classes)))
        columns = dict(zip(rows.schema.names, rows.columns, strict=True))
        if TASK == "regression":
            columns[PREDICTION_COLUMN] = pa.array(first.astype(np.float64))
            self.totals.total += float(first.astype(np.float64).sum())
        else:
            labels = pa.array(first, pa.string())
            columns[PREDICTION_COLUMN] = labels
            counts = pc.value_counts(labels).to_pylist()
            self.totals.classes.update({str(count["values"]): int(count["counts"]) for count in counts})
            for position, label in enumerate(classes):
                values = probabilities[:, position] if probabilities.shape[1] else np.zeros(count)
                columns[f"{PROBABILITY_PREFIX}{label}"] = pa.array(values.astype(np.float64))
        return pa.RecordBatch.from_pydict(columns)

    def predicted(self) -> dict[str, float]:
        """Rows per predicted class, or (regression) the mean predicted value, for the pushed metrics."""
        if not self.totals.scored:
            return {}
        if TASK == "regression":
            return {"mean": round(self.totals.total / self.totals.scored, 6)}
        return {label: float(count) for label, count in sorted(self.totals.classes.items())}


def publish_champion(model: str, destination: str) -> list[str]:
    """Copy the verified model and its card into the folder `destination` (the CronJob's SCORE_MODEL folder).

    The model goes first, its card last: a reader between the two sees a model that does not match
    its card and refuses it, never a wrong model taken for the champion.
    """
    load_champion(model)  # refused unless it matches its card and the contract
    written = []
    for location in (model, _card_location(model)):
        target = destination.rstrip("/") + "/" + location.rsplit("/", 1)[-1]
        with _local_copy(location) as local, staged([target]) as (temporary,):
            shutil.copyfile(local, temporary)
        written.append(target)
    return written


def default_quarantine(output: str) -> str:
    """`scored.parquet` -> `scored.quarantine.csv`: readable by a person, next to the output."""
    stem = output[: -len(_suffix(output))]
    return f"{stem}.quarantine.csv"


def _blocks(source: str, columns: list[str], malformed: Malformed) -> Iterator[tuple[pa.RecordBatch, bool]]:
    """The input's blocks, each with whether it is the last: a CSV's columns all as text (so one bad cell cannot
    stop the read); then an empty last block, which takes the lines set aside after the last row, and gives an
    empty input its files' headers."""
    text = source.endswith((".csv", ".csv.gz"))
    types: dict[str, pa.DataType | None] = (
        dict.fromkeys(columns, pa.string()) if text else dict.fromkeys(FEATURE_COLUMNS)
    )
    handler = malformed.handle if text else None
    last = None
    blocks = iter_batches(  # a CSV's `types` name all its columns already
        source, types, other_columns=not text, invalid_row=handler, batch_rows=CHUNK_ROWS, block_bytes=CHUNK_BYTES
    )
    for batch in blocks:
        last = batch
        yield batch, False
    if last is None:
        last = pa.RecordBatch.from_pylist([], schema=pa.schema([(name, pa.string()) for name in columns]))
    yield last.slice(0, 0), True


def score_file(source: str, output: str, *, model: str = DEFAULT_MODEL, quarantine: str | None = None) -> ScoreResult:
    """Score one file, block by block; the quarantine file is always written (a header only when every row is good)."""
    started = time.perf_counter()
    quarantine = quarantine or default_quarantine(output)
    for location in (output, quarantine):
        _suffix(location)  # refuse a name we cannot write before any work is done
    if not is_url(source) and not Path(source).is_file():
        raise ScoringRefused(f"no input file at {source}")
    for location in (output, quarantine):
        try:
            probe_writable(location)
        except OSError as error:
            folder = Path(location).parent
            raise ScoringRefused(f"cannot write {location}: {error.strerror or error} ({folder})") from error
        if not is_url(location):
            remove_stale_temporaries(Path(location))
    session, card = load_champion(model)
    try:
        columns = source_columns(source)
    except (ValueError, pa.ArrowInvalid) as error:
        raise ScoringRefused(f"cannot read {source}: {error}") from error
    check_columns(columns)
    scorer, malformed = Scorer(session, card, text=source.endswith((".csv", ".csv.gz"))), Malformed()
    with staged([output, quarantine]) as (output_temporary, quarantine_temporary):
        output_file, quarantine_file = BatchFile(output_temporary, output), BatchFile(quarantine_temporary, quarantine)
        try:
            for batch, last in _blocks(source, columns, malformed):
                good, bad = scorer.block(batch, malformed, last=last)
                output_file.write(good)
                quarantine_file.write(bad)
        except (SourceError, pa.ArrowInvalid) as error:
            raise ScoringRefused(f"cannot read {source}: {error}") from error
        finally:
            output_file.close()
            quarantine_file.close()
    return ScoreResult(
        rows=scorer.totals.rows,
        scored=scorer.totals.scored,
        quarantined=scorer.totals.quarantined,
        output=output,
        quarantine=quarantine,
        model_version=card.version,
        seconds=time.perf_counter() - started,
        predicted=scorer.predicted(),
    )


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
        help=f"ONNX model with {CARD_NAME} beside it (default: %(default)s; env SCORE_MODEL)",
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
