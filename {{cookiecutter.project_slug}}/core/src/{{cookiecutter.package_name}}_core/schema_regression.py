"""Core (Data Scientists): the contract's declarations — target, feature columns, types, ranges, categories.

Data source: the Palmer penguins data (Gorman, Williams & Fraser 2014, CC0; as packaged by the
palmerpenguins project), bundled as data/penguins.csv; the model estimates a bird's body mass.
`make dataset CSV=<path> TARGET=<column>` rewrites this file for a team's own data; contract.py
derives everything else from it.
"""

from __future__ import annotations

from typing import Annotated, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

TASK: Final[Literal["classification", "regression"]] = "regression"
TARGET: Final = "body_mass_g"
# The data file this contract describes, in core's data/ folder (params.yaml `ingest.source` reads it).
DATA_FILE: Final = "penguins.csv"
# What the tests read, committed to git in the same folder: a fresh clone (CI) has no DVC-tracked data
# file. The bundled example is small and in git, so it is its own sample.
SAMPLE_FILE: Final = "penguins.csv"

Island = Literal["Biscoe", "Dream", "Torgersen"]
Sex = Literal["female", "male"]
Species = Literal["Adelie", "Chinstrap", "Gentoo"]

# Ranges are wider than anything seen in the example data, narrow enough to catch unit
# mistakes (grams vs kilograms, centimetres vs millimetres).
BillLength = Annotated[float, Field(ge=25.0, le=70.0, description="Bill (culmen) length in millimetres.")]
BillDepth = Annotated[float, Field(ge=10.0, le=25.0, description="Bill (culmen) depth in millimetres.")]
FlipperLength = Annotated[float, Field(ge=150.0, le=250.0, description="Flipper length in millimetres.")]
BodyMass = Annotated[float, Field(ge=2000.0, le=7000.0, description="Body mass in grams (the target).")]


class Features(BaseModel):
    """One penguin as the model sees it: what the pipeline validates and the service accepts."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)

    species: Species = Field(description="Penguin species.")
    island: Island = Field(description="Island in the Palmer Archipelago where the bird was measured.")
    bill_length_mm: BillLength
    bill_depth_mm: BillDepth
    flipper_length_mm: FlipperLength
    sex: Sex = Field(description="Sex of the bird.")


class LabelledRecord(Features):
    """A training row: the features plus the value the model learns to estimate."""

    body_mass_g: BodyMass
