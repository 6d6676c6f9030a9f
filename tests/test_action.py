"""The GitHub Action (`action.yml`): its shape, and its check steps run as a runner would.

The install step needs the package index and is what `test_packaging` proves already (the
package installs from a checkout); here the later steps run with this environment's retrylint,
their `${{ inputs.* }}` expressions filled in the way Actions does.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import FIXTURES, REPO

ACTION = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
EXPRESSION = re.compile(r"\$\{\{\s*inputs\.([\w-]+)\s*\}\}")


def test_action_is_a_composite_that_installs_its_own_version() -> None:
    assert ACTION["runs"]["using"] == "composite"
    install, *_ = ACTION["runs"]["steps"]
    assert '"$GITHUB_ACTION_PATH"' in install["run"]
    for step in ACTION["runs"]["steps"]:
        assert step["shell"] == "bash"
        # Inputs reach scripts through the environment, never pasted into them (injection).
        assert "${{" not in step["run"]
    assert set(ACTION["inputs"]) == {"paths", "args", "sarif-file", "python"}


def _step_env(step: dict, inputs: dict[str, str]) -> dict[str, str]:
    return {
        name: EXPRESSION.sub(lambda m: inputs[m.group(1)], value)
        for name, value in step.get("env", {}).items()
    }


@pytest.mark.skipif(shutil.which("bash") is None, reason="the steps are bash scripts")
def test_check_steps_annotate_and_write_sarif(tmp_path: Path) -> None:
    project = tmp_path / "celery_shop"
    shutil.copytree(FIXTURES / "celery_shop", project)
    inputs = {
        "paths": "shop",
        "args": "--select RL101",
        "sarif-file": "results.sarif",
        "python": sys.executable,
    }
    scripts = Path(sys.executable).parent
    codes = {}
    for step in ACTION["runs"]["steps"][1:]:
        env = {
            **os.environ,
            "PATH": f"{scripts}{os.pathsep}{os.environ['PATH']}",
            **_step_env(step, inputs),
        }
        completed = subprocess.run(
            ["bash", "-e", "-c", step["run"]],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        codes[step["name"]] = (completed.returncode, completed.stdout)
    sarif_code, _ = codes["Write SARIF"]
    assert sarif_code == 0  # --exit-zero: the SARIF step never fails the job
    results = json.loads((project / "results.sarif").read_text())["runs"][0]["results"]
    assert {r["ruleId"] for r in results} == {"RL101"}
    check_code, annotations = codes["Check"]
    assert check_code == 1
    lines = annotations.splitlines()
    assert len(lines) == len(results) == 2
    assert all(line.startswith("::error file=shop/tasks.py,") for line in lines)
