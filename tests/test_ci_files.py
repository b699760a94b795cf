"""Infra tier, CI files: actionlint, workflow/action schemas and the GitLab CI schema for each CI system and cloud.

Part of the infra tier (see tests/infra_checks.py for the tools). Steps whose binary is missing skip with the reason.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from harness import grouped_param, run
from infra_checks import (
    CI_COMBOS,
    tool,
    tool_env,
)

# --------------------------------------------------------------------------------------------
# CI files
# --------------------------------------------------------------------------------------------

# A full commit SHA, and the release it is in as a comment (tests/test_ci_security.py checks more).
PINNED_ACTION = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$")


@pytest.mark.parametrize("combo", [grouped_param(c, "infra") for c in CI_COMBOS if c["ci"] == "github"])
def test_github_workflows_lint_clean(baked: Any, combo: dict[str, str]) -> None:
    root = baked(combo)
    env = tool_env()
    run([tool("actionlint"), "-color=false"], cwd=root, env=env)
    workflows = sorted(str(p) for p in (root / ".github" / "workflows").glob("*.yml"))
    assert [Path(w).name for w in workflows] == ["ci.yml", "pipeline.yml", "release.yml", "service.yml"]
    checker = tool("check-jsonschema")
    run([checker, "--builtin-schema", "vendor.github-workflows", *workflows], cwd=root, env=env)
    actions = sorted(str(p) for p in (root / ".github" / "actions").glob("*/action.yml"))
    run([checker, "--builtin-schema", "vendor.github-actions", *actions], cwd=root, env=env)


@pytest.mark.parametrize("combo", [grouped_param(c, "infra") for c in CI_COMBOS if c["ci"] == "github"])
def test_github_workflows_are_least_privilege_pinned_and_cached(baked: Any, combo: dict[str, str]) -> None:
    root = baked(combo)
    for path in sorted((root / ".github").rglob("*.yml")):
        document = yaml.safe_load(path.read_text())
        uses = re.findall(r"uses:\s*(\S+(?: # \S+)?)", path.read_text())
        for ref in uses:
            assert ref.startswith("./") or PINNED_ACTION.match(ref), f"{path.name}: {ref} is not pinned to a release"
        if path.parent.name != "workflows":
            continue
        assert document["permissions"] == {"contents": "read"}, path.name
        assert "group" in document["concurrency"], path.name
        for name, job in document["jobs"].items():
            granted = job.get("permissions", {})
            assert set(granted.values()) <= {"read", "write"} and granted.get("contents", "read") == "read", (
                path.name,
                name,
            )
            assert "timeout-minutes" in job, (path.name, name)
    text = (root / ".github" / "workflows" / "ci.yml").read_text()
    assert "enable-cache: true" in text
    # Both tiers of the project's tests on every pull request: `make check`, then the slow tier.
    runs = [step.get("run") for step in yaml.safe_load(text)["jobs"]["check"]["steps"]]
    assert runs.index("make check") < runs.index("make test-slow")
    deploy = yaml.safe_load((root / ".github" / "workflows" / "release.yml").read_text())
    assert deploy["jobs"]["prod"]["needs"] == ["champion", "staging"]
    assert deploy["jobs"]["prod"]["environment"] == "prod"
    writes = {k for job in deploy["jobs"].values() for k, v in job["permissions"].items() if v == "write"}
    assert writes == ({"packages"} if combo["cloud"] == "none" else {"id-token"})


@pytest.mark.parametrize("combo", [grouped_param(c, "infra") for c in CI_COMBOS if c["ci"] == "gitlab"])
def test_gitlab_ci_matches_its_schema(baked: Any, combo: dict[str, str]) -> None:
    root = baked(combo)
    run([tool("check-jsonschema"), "--builtin-schema", "vendor.gitlab-ci", ".gitlab-ci.yml"], cwd=root, env=tool_env())
    document = yaml.safe_load((root / ".gitlab-ci.yml").read_text())
    assert document["stages"] == ["check", "pipeline", "build", "deploy"]
    script = document["check"]["script"]
    assert script.index("make check") < script.index("make test-slow")  # both tiers of the project's tests
    assert document["deploy-prod"]["rules"][0]["when"] == "manual"
    assert document["deploy-prod"]["environment"]["name"] == "prod"
    assert (root / ".gitlab" / "CODEOWNERS").is_file()
