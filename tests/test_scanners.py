"""Infra tier, scanners: checkov (--skip-download, every framework) once per bake, isolated by `uv tool run`.

Part of the infra tier (see tests/infra_checks.py for the tools). Steps whose binary is missing skip with the reason.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tomllib
from typing import Any

import pytest
from harness import TEMPLATE_DIR, combo_id
from infra_checks import (
    K8S_COMBOS,
    tool,
    tool_env,
)

# --------------------------------------------------------------------------------------------
# checkov: once per bake, every framework
# --------------------------------------------------------------------------------------------


def checkov_requirement() -> str:
    """The checkov pin of the template's pyproject (extra `infra-scan`), run in its own environment."""
    extras = tomllib.loads((TEMPLATE_DIR / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    (requirement,) = [r for r in extras["infra-scan"] if r.startswith("checkov==")]
    return requirement


@pytest.mark.generated
@pytest.mark.parametrize("combo", K8S_COMBOS)
def test_checkov_finds_nothing_to_fix(baked: Any, combo: dict[str, str]) -> None:
    root = baked(combo)
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not installed: checkov's kustomize framework would be skipped silently")
    command = [
        tool("uv"), "tool", "run", "--python", sys.executable, "--from", checkov_requirement(), "checkov",
        "--directory", ".", "--skip-download", "--output", "json", "--compact",
    ]  # fmt: skip
    result = subprocess.run(command, cwd=root, env=tool_env(), capture_output=True, text=True, timeout=900)
    assert result.stdout.strip().startswith(("[", "{")), result.stderr[-4000:]
    reports = json.loads(result.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    counts = {r["check_type"]: r["summary"] for r in reports}
    failed = [
        f"{r['check_type']}: {c['check_id']} {c['resource']} ({c['file_path']})"
        for r in reports
        for c in r["results"].get("failed_checks", [])
    ]
    summary = ", ".join(f"{k} {v['passed']}/{v['failed']}/{v['skipped']}" for k, v in sorted(counts.items()))
    print(f"checkov {combo_id(combo)} passed/failed/skipped: {summary}")
    expected = {"terraform"} if combo["cloud"] != "none" else set()
    expected |= {"kubernetes", "kustomize", "dockerfile"}
    expected |= {"github": {"github_actions"}, "gitlab": {"gitlab_ci"}, "none": set()}[combo["ci"]]
    assert expected <= set(counts), f"frameworks missing from the scan: {expected - set(counts)}"
    assert not any(v.get("parsing_errors") for v in counts.values()), counts
    assert not failed, "\n".join(failed)
    assert result.returncode == 0, result.stderr[-4000:]
