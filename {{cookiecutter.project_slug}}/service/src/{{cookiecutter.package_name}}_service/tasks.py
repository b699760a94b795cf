"""Service (ML Engineers): what differs between the tasks — the model's outputs and the answer for each record.

The contract's `TASK` picks one `Outputs` for the process (`OUTPUTS`): the rest of the service
scores records and sends answers without knowing which task it serves. A classifier answers
`{"prediction": <class>, "probabilities": {<class>: p, ...}}`, a regressor `{"value": <number>}`;
`schemas.py` documents the same fields.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from {{ cookiecutter.package_name }}_core.contract import MODEL_OUTPUTS, TARGET_CLASSES, TASK

from .errors import ModelLoadError

Answer = dict[str, Any]


class Outputs(ABC):
    """Which ONNX outputs one task reads, how it checks them at load, and the answers it makes of them."""

    @abstractmethod
    def names(self, available: Sequence[str]) -> list[str]:
        """The outputs to fetch, in the order `answers` reads them (ModelLoadError if the model lacks them)."""

    @abstractmethod
    def check(self, outputs: Sequence[NDArray[Any]], classes: tuple[str, ...]) -> None:
        """Raise ModelLoadError unless the outputs for one record (the card's example) fit the task and the card."""

    @abstractmethod
    def answers(self, outputs: Sequence[NDArray[Any]], classes: tuple[str, ...]) -> list[Answer]:
        """One answer per record, in the order of the records."""


class ClassOutputs(Outputs):
    """Classification: the `label` output [N] and the `probabilities` output [N, classes], in the card's order."""

    NAMES = MODEL_OUTPUTS["classification"]

    def names(self, available: Sequence[str]) -> list[str]:
        if not set(self.NAMES) <= set(available):
            raise ModelLoadError(f"model outputs {sorted(available)} lack {list(self.NAMES)}")
        return list(self.NAMES)

    def check(self, outputs: Sequence[NDArray[Any]], classes: tuple[str, ...]) -> None:
        if not classes or not set(classes) <= set(TARGET_CLASSES):
            raise ModelLoadError(f"model classes {classes} are not all in the contract's {TARGET_CLASSES}")
        labels, probabilities = outputs
        if probabilities.shape != (1, len(classes)) or labels[0] not in classes:
            raise ModelLoadError("the model's outputs do not match the classes on its card")

    def answers(self, outputs: Sequence[NDArray[Any]], classes: tuple[str, ...]) -> list[Answer]:
        labels, probabilities = outputs
        return [
            {"prediction": label, "probabilities": dict(zip(classes, row, strict=True))}
            for label, row in zip(labels.tolist(), probabilities.tolist(), strict=True)
        ]


class ValueOutputs(Outputs):
    """Regression: one number per record, shaped [N] or [N, 1], from the output `value` (the pipeline's
    export names it so) or else the model's only or first output."""

    (NAME,) = MODEL_OUTPUTS["regression"]

    def names(self, available: Sequence[str]) -> list[str]:
        if not available:
            raise ModelLoadError("the model has no output")
        return [self.NAME if self.NAME in available else available[0]]

    def check(self, outputs: Sequence[NDArray[Any]], classes: tuple[str, ...]) -> None:
        if classes:
            raise ModelLoadError(f"the card lists classes {classes}; the contract's task is regression")
        (values,) = outputs
        if values.shape not in {(1,), (1, 1)} or not np.issubdtype(values.dtype, np.floating):
            raise ModelLoadError(
                f"the model's output is {values.dtype} {list(values.shape)} for one record, not one number"
            )
        if not np.isfinite(values).all():
            raise ModelLoadError("the model predicts a value that is not finite for its card's example")

    def answers(self, outputs: Sequence[NDArray[Any]], classes: tuple[str, ...]) -> list[Answer]:
        values: list[float] = outputs[0].reshape(-1).tolist()
        return [{"value": value} for value in values]


OUTPUTS: Outputs = {"classification": ClassOutputs, "regression": ValueOutputs}[TASK]()
