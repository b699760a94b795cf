"""Pipelines (MLOps): register without a tracking server — the champion is the model committed in models/champion/.

The gate compares the challenger with that committed champion on this run's test split; when the
challenger wins, it replaces the folder, and committing it (review, merge to the default branch) is
the promotion. CI builds the service image from this folder after `make champion` verified it.
"""

from __future__ import annotations

from .errors import StageFailed
from .files import read_json
from .gate import CARD_FILE, challenge, check_shippable, install, read_verified_folder, report
from .params import Params


def stage(p: Params) -> None:
    """The `register` stage: gate the challenger against the committed champion, write reports/registry.json."""
    folder = p.paths.champion
    champion = read_verified_folder(folder) if (folder / CARD_FILE).exists() else None
    decision = challenge(p, champion)
    record = {
        **decision.record(),
        "challenger_version": read_json(p.paths.card)["version"],
        "champion_version": champion[1]["version"] if champion else None,
    }
    report(record, decision, p.paths.reports / "registry.json")
    if decision.promoted:
        install(p.paths.onnx, p.paths.card, folder)
        print(f"register: {folder} now holds version {record['challenger_version']}: commit it to promote it")


def champion_stage(p: Params) -> None:
    """`make champion`: check the committed champion (hash, contract, floor) before an image is built from it."""
    folder = p.paths.champion
    if not (folder / CARD_FILE).exists():
        raise StageFailed(f"{folder} holds no champion: run `make repro` and commit {folder}")
    _, card = read_verified_folder(folder)
    check_shippable(card, p.register_)
    print(f"champion: {card['name']} version {card['version']} in {folder}, verified against its card")
