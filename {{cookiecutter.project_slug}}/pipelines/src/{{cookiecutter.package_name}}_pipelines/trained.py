"""Pipelines (MLOps): the trained estimator between stages, as skops (never a pickle) with a trusted-type list.

`train` writes the fitted scikit-learn pipeline; `evaluate` and `export` read it back. The file travels
through the DVC cache and remote, which are trust boundaries: a pickle there would run whatever code
it carries on `dvc pull && dvc repro`. skops stores the object tree as data and refuses any type that is
not on scikit-learn's default list or on TRUSTED_TYPES below, before it builds a single object.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import skops.io as sio
from sklearn.pipeline import Pipeline

from .errors import StageFailed

# Types beyond skops' defaults (scikit-learn estimators, NumPy arrays, builtins) that the families of
# core.features.build_model() contain, and nothing more: each is data skops rebuilds without running code
# from the file. Add a type here only for an estimator library you install and trust.
# The one exception to this project's public-API rule: two names below are in scikit-learn's private modules
# (sklearn.tree._tree, sklearn.ensemble._hist_gradient_boosting). skops names a type by the module that
# defines it, and scikit-learn defines these only there, so the list cannot avoid them. They are names, not
# imports: if an upgrade moves either class, skops refuses the file naming the new type (UntrustedModel).
TRUSTED_TYPES: list[str] = [
    # SimpleImputer (the optional columns' gaps) remembers the dtype it was fitted on.
    "numpy.dtype",
    # random_forest: each fitted tree.
    "sklearn.tree._tree.Tree",
    # hist_gradient_boosting: each fitted tree.
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    # lightgbm: the estimators, the booster (rebuilt from its text model) and its ordered parameters.
    "lightgbm.sklearn.LGBMClassifier",
    "lightgbm.sklearn.LGBMRegressor",
    "lightgbm.basic.Booster",
    "collections.OrderedDict",
]


class UntrustedModel(StageFailed):
    """The trained-model file is not a skops file, or holds a type that is not trusted."""


def save_trained(model: Pipeline, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    sio.dump(model, path)


def load_trained(path: Path) -> Pipeline:
    """The fitted pipeline at `path`; refuses, without building anything, a file that is not safe to load."""
    try:
        untrusted = sorted(set(sio.get_untrusted_types(file=path)) - set(TRUSTED_TYPES))
    except (zipfile.BadZipFile, KeyError, ValueError) as error:
        raise UntrustedModel(f"{path} is not a skops model file ({error}); rerun the train stage") from error
    if untrusted:
        raise UntrustedModel(
            f"{path} holds types that are not trusted: {', '.join(untrusted)}; it was not loaded. "
            "If you trust them, add them to TRUSTED_TYPES in trained.py"
        )
    model = sio.load(path, trusted=TRUSTED_TYPES)
    if not isinstance(model, Pipeline):
        raise UntrustedModel(f"{path} holds a {type(model).__name__}, not a scikit-learn Pipeline")
    return model
