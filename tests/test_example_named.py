"""Docs: a bake's README and handbook home say, on their first screen, what the bundled example is and how to replace it."""

from __future__ import annotations

import pytest
from harness import CHOICES, BakeCache, grouped_param

FIRST_SCREEN_LINES = 12
# What the example is, as the first screen names it, per task.
EXAMPLE = {"classification": "predicts a penguin's species", "regression": "estimates a penguin's body mass"}


@pytest.mark.parametrize("combo", [grouped_param({"task": task}, "named") for task in CHOICES["task"]])
def test_readme_and_handbook_home_name_the_example_and_point_to_bring_your_own_data(
    baked: BakeCache, combo: dict[str, str]
) -> None:
    root = baked(combo)
    pages = {
        "README.md": "docs/bring-your-own-data.md",
        "docs/index.md": "bring-your-own-data.md",
    }
    for page, link in pages.items():
        first_screen = " ".join((root / page).read_text(encoding="utf-8").splitlines()[:FIRST_SCREEN_LINES])
        assert "Palmer penguins" in first_screen, page
        assert EXAMPLE[combo["task"]] in first_screen, page
        assert f"[Bring your own data]({link})" in first_screen, page
        assert "make dataset CSV=" in first_screen, page
        assert (root / page).parent.joinpath(link).is_file(), f"{page} links to a missing {link}"
