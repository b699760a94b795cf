"""Pipelines (MLOps): register without a tracking server — the champion is the model committed in models/champion/.

The gate compares the challenger with that committed champion on this run's test split; when the
challenger wins, it replaces the folder, and committing it (review, merge to the default branch) is
the promotion. CI builds the service image from this folder after `make champion` verified it.
"""

from __future__ import annotations

from {{ cookiecutter.package_name }}_core import CARD_NAME, MODEL_NAME, load_verified

from .errors import StageFailed
from .gate import challenge, check_shippable, install, report
from .params import Params


def stage(p: Params) -> None:
    """The `register` stage: gate the challenger against the committed champion, write reports/registry.json."""
    folder = p.paths.champion
    champion = load_verified(folder / MODEL_NAME) if (folder / CARD_NAME).exists() else None
    challenger = load_verified(p.paths.onnx, p.paths.card)
    decision = challenge(p, challenger, champion)
    record = {
        **decision.record(),
        "challenger_version": challenger[1].version,
        "champion_version": champion[1].version if champion else None,
    }
    report(record, decision, p.paths.reports / "registry.json")
    if decision.promoted:
        install(p.paths.onnx, p.paths.card, folder)
        print(f"register: {folder} now holds version {record['challenger_version']}: commit it to promote it")


def champion_stage(p: Params) -> None:
    """`make champion`: check the committed champion (hash, contract, floor) before an image is built from it."""
    folder = p.paths.champion
    if not (folder / CARD_NAME).exists():
        raise StageFailed(f"{folder} holds no champion: run `make repro` and commit {folder}")
    _, card = load_verified(folder / MODEL_NAME)
    check_shippable(card, p.register_)
    print(f"champion: {card.name} version {card.version} in {folder}, verified against its card")
