"""Datasets a team might bring, for the dataset-shape tier (tests/test_shapes.py, bench/byod.py).

Two kinds, each a `Case` that writes one CSV into a folder:
- `SHAPES`: seeded synthetic CSVs of many shapes (numeric only, 60 features, a 2 % class, 30 % gaps, messy
  headers, ids, dates and free text among the columns, ...). Each carries a real, learnable signal, so a sound
  gate ships a model; two are negative cases that `make dataset` must refuse, naming the headers.
- `REAL`: public datasets that ship inside a pinned PyPI package (statsmodels, the template's test extra), read
  from the installed distribution's files without importing it, and checked by sha256 (tests/data/README.md).

Only the standard library: the template's test environment has no numpy or pandas of its own.
"""

from __future__ import annotations

import csv
import hashlib
import importlib.metadata
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Literal

Task = Literal["classification", "regression"]
Table = tuple[list[str], list[list[str]]]

SEED = 19


@dataclass(frozen=True)
class Case:
    """One CSV a team brings: how to write it, its target, and what `make dataset` must make of it.

    `left_out` maps a header to the words of which the report's reason for leaving it out must contain one
    ("date", "time", "identifier", "free text"). `refused` lists the headers a refusal must name (a negative case: `make dataset`
    fails and changes nothing).
    """

    kind: Literal["shape", "real"]
    name: str
    target: str
    task: Task
    write: Callable[[Path], Path]
    left_out: dict[str, tuple[str, ...]] = field(default_factory=dict)
    refused: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return f"{self.kind}:{self.name}"


def write_table(path: Path, table: Table) -> Path:
    """A CSV file of a header and rows (UTF-8, `\\n` line ends, quoted only where needed)."""
    headers, rows = table
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(headers)
        writer.writerows(rows)
    return path


def _num(value: float, digits: int = 3) -> str:
    return f"{value:.{digits}f}"


def _argmax(scores: Sequence[float]) -> int:
    return max(range(len(scores)), key=scores.__getitem__)


# Shapes
# ------------------------------------------------------------------------------------------------


def numeric_only(rng: random.Random) -> Table:
    """Five numeric measurements, three classes by the largest of three linear scores."""
    weights = [(1.5, -1.0, 0.5, 0.0, 0.8), (-1.2, 1.4, 0.0, 0.6, -0.5), (0.0, 0.0, -1.3, -0.9, 0.2)]
    rows = []
    for _ in range(400):
        x = [rng.gauss(0, 1) for _ in range(5)]
        scores = [sum(w * v for w, v in zip(ws, x, strict=True)) + rng.gauss(0, 0.4) for ws in weights]
        rows.append([_num(10 + 2 * v) for v in x] + [("low", "mid", "high")[_argmax(scores)]])
    return ["length", "width", "depth", "weight", "density", "grade"], rows


def categorical_only(rng: random.Random) -> Table:
    """Four text columns; the class is the points their values add up to, in three bands."""
    levels = {
        "colour": {"red": 2, "green": 0, "blue": -2},
        "size": {"S": -2, "M": 0, "L": 1, "XL": 3},
        "region": {"north": 1, "south": -1, "east": 0, "west": 2},
        "plan": {"basic": -1, "plus": 1},
    }
    rows = []
    for _ in range(400):
        values = [rng.choice(list(points)) for points in levels.values()]
        score = sum(points[v] for points, v in zip(levels.values(), values, strict=True)) + rng.gauss(0, 0.7)
        rows.append([*values, "bronze" if score < -0.5 else "silver" if score < 2 else "gold"])
    return [*levels, "tier"], rows


def one_feature(rng: random.Random) -> Table:
    """A response that is a line in its one feature, plus noise (regression)."""
    rows = []
    for _ in range(300):
        dose = rng.uniform(0, 50)
        rows.append([_num(dose, 2), _num(12 + 2.5 * dose + rng.gauss(0, 6), 2)])
    return ["dose", "response"], rows


def sixty_features(rng: random.Random) -> Table:
    """48 numeric and 12 text features, a regression target of a few of each (60 features)."""
    numeric = [f"sensor_reading_{i:02d}" for i in range(1, 49)]
    text = [f"station_group_{i:02d}" for i in range(1, 13)]
    effect = {"alpha": -4.0, "beta": 0.0, "gamma": 5.0}
    rows = []
    for _ in range(400):
        x = [rng.gauss(50, 10) for _ in numeric]
        groups = [rng.choice(list(effect)) for _ in text]
        y = 100 + 0.8 * x[0] - 0.6 * x[1] + 0.5 * x[2] + effect[groups[0]] + effect[groups[1]] + rng.gauss(0, 3)
        rows.append([_num(v, 2) for v in x] + groups + [_num(y, 2)])
    return [*numeric, *text, "output"], rows


def binary(rng: random.Random) -> Table:
    """Churn (yes/no) from age, monthly spend and a plan: two classes."""
    rows = []
    for _ in range(400):
        age, spend, plan = rng.uniform(18, 80), rng.uniform(5, 120), rng.choice(["prepaid", "contract", "family"])
        logit = 2.5 - 0.05 * age - 0.02 * spend + {"prepaid": 1.2, "contract": -1.0, "family": 0.0}[plan]
        churned = rng.random() < 1 / (1 + math.exp(-logit))
        rows.append([_num(age, 0), _num(spend, 2), plan, "yes" if churned else "no"])
    return ["age", "monthly_spend", "plan", "churned"], rows


def rare_class(rng: random.Random) -> Table:
    """Four classes, one of them 2 % of the rows (10 of 500), each around its own centre."""
    centres = {"common": (0, 0, 0), "usual": (3, 0, 1), "frequent": (0, 3, -1), "rare": (4, 4, 4)}
    counts = {"common": 200, "usual": 160, "frequent": 130, "rare": 10}
    labels = [label for label, count in counts.items() for _ in range(count)]
    rng.shuffle(labels)
    rows = [[_num(c + rng.gauss(0, 0.8)) for c in centres[label]] + [label] for label in labels]
    return ["signal_a", "signal_b", "signal_c", "kind"], rows


def heavy_tail(rng: random.Random) -> Table:
    """A price that is log-normal in two features, with a few far outliers (regression, heavy right tail)."""
    rows = []
    for _ in range(500):
        rooms, age = rng.randint(1, 8), rng.uniform(0, 60)
        price = math.exp(10 + 0.35 * rooms - 0.01 * age + rng.gauss(0, 0.25))
        if rng.random() < 0.02:
            price *= rng.paretovariate(1.2)
        rows.append([str(rooms), _num(age, 1), _num(price, 0)])
    return ["rooms", "building_age", "price"], rows


def gaps(rng: random.Random) -> Table:
    """Five numeric and two text features, each cell empty with probability 0.3; three classes."""
    rows = []
    for _ in range(500):
        x = [rng.gauss(0, 1) for _ in range(5)]
        site, shift = rng.choice(["a", "b", "c"]), rng.choice(["day", "night"])
        score = 1.2 * x[0] + x[1] - 0.8 * x[2] + {"a": 1.0, "b": 0.0, "c": -1.0}[site] + rng.gauss(0, 0.5)
        label = "under" if score < -0.7 else "within" if score < 0.7 else "over"
        cells = [_num(v) for v in x] + [site, shift]
        rows.append([cell if rng.random() >= 0.3 else "" for cell in cells] + [label])
    return ["m1", "m2", "m3", "m4", "m5", "site", "shift", "status"], rows


def sixty_rows(rng: random.Random) -> Table:
    """60 rows only: two well-separated classes in three measurements."""
    rows = []
    for i in range(60):
        label = "pass" if i % 2 else "fail"
        centre = 2.0 if label == "pass" else -2.0
        rows.append([_num(centre + rng.gauss(0, 0.7)), _num(rng.gauss(0, 1)), _num(centre + rng.gauss(0, 1)), label])
    return ["score_1", "score_2", "score_3", "outcome"], rows


WORDS = [
    "late",
    "early",
    "broken",
    "fine",
    "noisy",
    "quiet",
    "checked",
    "again",
    "customer",
    "asked",
    "twice",
    "replaced",
    "part",
    "cable",
    "box",
    "door",
]


def mixed_columns(rng: random.Random) -> Table:
    """Features among an id, a text id, dates in five formats, times of day and free text (all to be left out)."""
    start = date(2022, 1, 1)
    rows = []
    for i in range(400):
        day = start + timedelta(days=rng.randint(0, 720))
        hour, minute, second = rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59)
        temperature, load, line = rng.uniform(10, 40), rng.uniform(0, 100), rng.choice(["L1", "L2", "L3"])
        score = 0.1 * temperature + 0.03 * load + {"L1": 0.0, "L2": 1.0, "L3": -1.0}[line] + rng.gauss(0, 0.4)
        rows.append(
            [
                str(1000 + i),
                f"{rng.getrandbits(64):016x}",
                day.isoformat(),
                day.strftime("%Y/%m/%d"),
                day.strftime("%d.%m.%Y"),
                day.strftime("%m/%d/%Y"),
                f"{day.isoformat()} {hour:02d}:{minute:02d}:{second:02d}",
                f"{hour:02d}:{minute:02d}",
                f"{hour:02d}:{minute:02d}:{second:02d}",
                " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 9))),
                _num(temperature, 1),
                _num(load, 1),
                line,
                "alarm" if score > 4.5 else "normal",
            ]
        )
    headers = [
        "record_id",
        "serial",
        "inspected",
        "ordered",
        "shipped",
        "invoiced",
        "logged_at",
        "start_time",
        "end_time",
        "comment",
        "temperature",
        "load",
        "line",
        "state",
    ]
    return headers, rows


MESSY_HEADERS = [
    "Wing (mm)",
    "Body mass, g",
    "Größe (cm)",
    "Température °C",
    "Band #",
    "Keel-Fat",
    "naïve score",
    "x/y ratio",
    "Colour / Farbe",
]


def messy_headers(rng: random.Random) -> Table:
    """Headers with spaces, punctuation and accents; a class with accented labels."""
    species = {"Mésange": (60, 11, 0), "Pinson": (85, 22, 1), "Rouge-gorge": (72, 18, 2)}
    rows = []
    for _ in range(300):
        label = rng.choice(list(species))
        wing, mass, fat = species[label]
        rows.append(
            [
                _num(wing + rng.gauss(0, 3), 1),
                _num(mass + rng.gauss(0, 1.5), 1),
                _num(12 + rng.gauss(0, 2), 1),
                _num(rng.uniform(-5, 30), 1),
                str(rng.randint(1, 9)),
                str(min(max(fat + rng.choice([-1, 0, 0, 1]), 0), 3)),
                _num(rng.random(), 3),
                _num(rng.uniform(0.5, 2), 3),
                rng.choice(["brun", "gris", "vert"]),
                label,
            ]
        )
    return [*MESSY_HEADERS, "Espèce"], rows


def colliding_headers(rng: random.Random) -> Table:
    """`Wing (mm)` and `wing_mm` are one name after snake_case: make dataset must refuse and name both."""
    headers, rows = messy_headers(rng)
    return [*headers[:1], "wing_mm", *headers[1:]], [[row[0], _num(float(row[0]) / 10, 2), *row[1:]] for row in rows]


def duplicate_headers(rng: random.Random) -> Table:
    """Two columns both headed `alcohol`: make dataset must refuse and name the header."""
    headers, rows = numeric_only(rng)
    return ["alcohol", "alcohol", *headers[2:]], rows


def _shape(
    name: str,
    generate: Callable[[random.Random], Table],
    target: str,
    task: Task,
    left_out: dict[str, tuple[str, ...]] | None = None,
    refused: tuple[str, ...] = (),
) -> Case:
    def write(folder: Path) -> Path:
        return write_table(folder / f"{name.replace('-', '_')}.csv", generate(random.Random(f"{SEED}-{name}")))

    return Case("shape", name, target, task, write, left_out or {}, refused)


SHAPES: dict[str, Case] = {
    case.name: case
    for case in (
        _shape("numeric-only", numeric_only, "grade", "classification"),
        _shape("categorical-only", categorical_only, "tier", "classification"),
        _shape("one-feature", one_feature, "response", "regression"),
        _shape("sixty-features", sixty_features, "output", "regression"),
        _shape("binary", binary, "churned", "classification"),
        _shape("rare-class", rare_class, "kind", "classification"),
        _shape("heavy-tail", heavy_tail, "price", "regression"),
        _shape("gaps-30pct", gaps, "status", "classification"),
        _shape("sixty-rows", sixty_rows, "outcome", "classification"),
        _shape(
            "ids-dates-times-text",
            mixed_columns,
            "state",
            "classification",
            left_out={
                "record_id": ("identifier",),
                "serial": ("identifier",),
                "inspected": ("date",),
                "ordered": ("date",),
                "shipped": ("date",),
                "invoiced": ("date",),
                "logged_at": ("date", "timestamp"),
                "start_time": ("time",),
                "end_time": ("time",),
                # A different sentence in every row: free text, or an identifier by the every-row-differs rule.
                "comment": ("free text", "identifier"),
            },
        ),
        _shape("messy-headers", messy_headers, "Espèce", "classification"),
        _shape("colliding-headers", colliding_headers, "Espèce", "classification", refused=("Wing (mm)", "wing_mm")),
        _shape("duplicate-headers", duplicate_headers, "grade", "classification", refused=("alcohol",)),
    )
}


# Real datasets
# ------------------------------------------------------------------------------------------------

# The distribution the real datasets ship in, pinned in the template's test extra (pyproject.toml).
REAL_DISTRIBUTION = "statsmodels"


def _tab_separated(text: str) -> str:
    """anes96 ships tab-separated with quoted headers ('popul'): the same cells as a comma-separated CSV."""
    lines = text.splitlines()
    headers = [header.strip("'") for header in lines[0].split("\t")]
    return "\n".join([",".join(headers), *(",".join(line.split("\t")) for line in lines[1:] if line)]) + "\n"


def _unchanged(text: str) -> str:
    return text


class ChangedDataset(AssertionError):
    """A real dataset's CSV is not the bytes the tier was written for (another package release?)."""


def _real(
    name: str,
    member: str,
    target: str,
    task: Task,
    sha256: str,
    convert: Callable[[str], str] = _unchanged,
) -> Case:
    def write(folder: Path) -> Path:
        source = Path(str(importlib.metadata.distribution(REAL_DISTRIBUTION).locate_file(member)))
        text = convert(source.read_text(encoding="utf-8"))
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        if digest != sha256:
            version = importlib.metadata.version(REAL_DISTRIBUTION)
            raise ChangedDataset(
                f"{name}: the CSV made from {REAL_DISTRIBUTION} {version}'s {member} has sha256 {digest}, "
                f"expected {sha256} (tests/data/README.md)"
            )
        path = folder / f"{name}.csv"
        path.write_text(text, encoding="utf-8")
        return path

    return Case("real", name, target, task, write)


REAL: dict[str, Case] = {
    case.name: case
    for case in (
        # Classification with a rare class: how happy a marriage is rated (1-5; "1" is 1.6 % of 6,366 rows).
        _real(
            "fair",
            "statsmodels/datasets/fair/fair.csv",
            "rate_marriage",
            "classification",
            "fd5f3f094a34fc35ca346a14c359e046ed27843038d6921efcd50a7ab21f6af0",
        ),
        # Binary classification: the 1996 US presidential vote (Clinton 0 / Dole 1), 944 voters.
        _real(
            "anes96",
            "statsmodels/datasets/anes96/anes96.csv",
            "vote",
            "classification",
            "add0df3db34e5070233a7724cb3122b7d8b358c67be0982476fa7f3e9b4ff706",
            _tab_separated,
        ),
        # Regression: gross investment of 11 US firms, 1935-1954 (a firm column and a year).
        _real(
            "grunfeld",
            "statsmodels/datasets/grunfeld/grunfeld.csv",
            "invest",
            "regression",
            "6f6ca138e645eeee6ff3e54fe5b9b498f7ddb5c484237d2a8489c524b3c94098",
        ),
        # Regression: real private investment from the other US macroeconomic series, 1959-2009 by quarter.
        _real(
            "macrodata",
            "statsmodels/datasets/macrodata/macrodata.csv",
            "realinv",
            "regression",
            "d93c0d3a7a77ef83c3af14e46032bb1d02ae3a512b22ab94159a8ca226fcf708",
        ),
    )
}

CASES: dict[str, Case] = {case.id: case for case in (*SHAPES.values(), *REAL.values())}
