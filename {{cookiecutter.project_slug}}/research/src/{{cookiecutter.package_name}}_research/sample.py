"""Research (Data Scientists): the data's sample in git — the rows every test reads, in any checkout.

A fresh clone has the DVC-tracked data file only after `dvc pull`; the committed sample (a few hundred
seeded rows, contract columns only) keeps every class in its share, every category and every gap.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .infer import Plan

# The sample holds at most this many rows; a data file that small is its own sample.
SAMPLE_ROWS = 200
# The seed of the one shuffle that decides which rows are drawn: the same data gives the same sample.
SEED = 0
# A regression target is stratified by this many quantile bins of its values, so the sample spans its range.
TARGET_BINS = 10
# Rows of each class (or target bin) at least, where the data has them: a stratified split needs two.
LEAST_PER_STRATUM = 2
# Stands for any present number where only a numeric column's gaps need showing.
_PRESENT = "<present>"


def _strata(frame: pd.DataFrame, plan: Plan) -> pd.Series:
    """The class of each row, or (regression) the quantile bin of its target value."""
    target = frame[plan.target.name]
    if plan.task == "classification":
        return target
    return pd.Series(
        pd.qcut(target.astype(float), q=TARGET_BINS, labels=False, duplicates="drop"), index=frame.index, name="bin"
    )


def _covering(frame: pd.DataFrame, plan: Plan, position: pd.Series) -> list[int]:
    """Rows that together show every category and gap of the contract's features: each (column, value)'s
    earliest drawn row, kept only when it shows something the rows kept before it do not."""
    categorical = [column.name for column in plan.features if column.kind == "categorical"]
    columns = categorical + [column.name for column in plan.features if column.optional and column.kind == "numeric"]
    wanted: set[tuple[str, str]] = set()
    candidates: set[int] = set()
    for name in columns:
        # A categorical column's every value (its gap "" included); a numeric column's gap only.
        values = frame[name] if name in categorical else frame[name].where(frame[name] == "", _PRESENT)
        first = position.groupby(values).idxmin().drop(_PRESENT, errors="ignore")
        wanted |= {(name, str(value)) for value in first.index}
        candidates |= {int(index) for index in first}
    kept: list[int] = []
    for index in sorted(candidates, key=lambda row: int(position[row])):
        shows = {(name, frame.at[index, name]) for name in columns} & wanted
        if shows:
            kept.append(index)
            wanted -= shows
    return kept


def _shares(sizes: pd.Series, total: int) -> pd.Series:
    """`total` split over strata in proportion to `sizes` (largest remainder), never more than a stratum holds."""
    exact = sizes / sizes.sum() * max(total, 0)
    whole = np.floor(exact).astype(int)
    rest = int(max(total, 0) - whole.sum())
    whole[(exact - whole).sort_values(ascending=False, kind="stable").index[:rest]] += 1
    return whole.clip(upper=sizes)


def sample_rows(frame: pd.DataFrame, plan: Plan, *, rows: int = SAMPLE_ROWS, seed: int = SEED) -> pd.DataFrame:
    """At most `rows` rows of `frame` (contract names, text cells) in the data's order: rows showing every category
    and gap (within budget once each stratum has LEAST_PER_STRATUM), then strata topped up by size, seeded."""
    columns = [*(column.name for column in plan.features), plan.target.name]
    if len(frame) <= rows:
        return frame[columns]
    position = pd.Series(np.random.default_rng(seed).permutation(len(frame)), index=frame.index)
    strata = _strata(frame, plan)
    sizes = strata.value_counts()
    least = sizes.clip(upper=LEAST_PER_STRATUM)
    chosen = _covering(frame, plan, position)[: max(rows - int(least.sum()), 0)]
    have = strata.loc[chosen].value_counts().reindex(sizes.index, fill_value=0)
    remaining = strata.drop(index=chosen)
    missing = (least - have).clip(lower=0)
    extra = _shares(
        remaining.value_counts().reindex(sizes.index, fill_value=0), rows - len(chosen) - int(missing.sum())
    )
    for stratum, count in (missing + extra).items():
        members = position[remaining.index[remaining == stratum]].sort_values(kind="stable")
        chosen += [int(index) for index in members.index[: int(count)]]
    return frame.loc[sorted(chosen), columns]
