"""Imports and locals after a fix: what the fix made unused goes, what it added joins its
module's line or goes where an import sorter puts it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from retrylint.fix_imports import tidy_imports

LOOP = """\
import time

import requests


def sync(url):
    delay = 5
    while True:
        try:
            return requests.get(url, timeout=5)
        except requests.ConnectionError:
            time.sleep(delay)
"""


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        pytest.param(
            "import time\n\nimport requests\n\nrequests.get(time.time())\n",
            "import time\n\nimport requests\n\nrequests.get(1)\n",
            "import requests\n\nrequests.get(1)\n",
            id="first-statement-and-its-gap",
        ),
        pytest.param(
            '"""Doc."""\n\nimport time\n\nimport requests\n\nrequests.get(time.time())\n',
            '"""Doc."""\n\nimport time\n\nimport requests\n\nrequests.get(1)\n',
            '"""Doc."""\n\nimport requests\n\nrequests.get(1)\n',
            id="after-a-docstring",
        ),
        pytest.param(
            "import os\n\nimport time\n\nimport requests\nx = time, os, requests\n",
            "import os\n\nimport time\n\nimport requests\nx = os, requests\n",
            "import os\n\nimport requests\nx = os, requests\n",
            id="one-gap-between-sections",
        ),
        pytest.param(
            "import os, time\nx = os, time\n",
            "import os, time\nx = os\n",
            "import os\nx = os\n",
            id="one-name-of-several",
        ),
        pytest.param(
            "from time import (monotonic,\n    sleep)\nmonotonic(), sleep(1)\n",
            "from time import (monotonic,\n    sleep)\nmonotonic()\n",
            "from time import monotonic\nmonotonic()\n",
            id="parentheses-no-longer-needed",
        ),
        pytest.param(
            "from time import (\n    monotonic,\n    sleep,\n)\nmonotonic(), sleep(1)\n",
            "from time import (\n    monotonic,\n    sleep,\n)\nmonotonic()\n",
            "from time import (\n    monotonic,\n)\nmonotonic()\n",
            id="trailing-comma-kept",
        ),
        pytest.param(
            "import os\nimport time\nx = 1\n",
            "import os\nimport time\nx = 2\n",
            "import os\nimport time\nx = 2\n",
            id="unused-before-stays",
        ),
        pytest.param(
            "import time\n__all__ = ['time']\ntime.sleep(1)\n",
            "import time\n__all__ = ['time']\n",
            "import time\n__all__ = ['time']\n",
            id="exported",
        ),
        pytest.param(
            "try:\n    import ujson as json\nexcept ImportError:\n    json = None\nx = json\n",
            "try:\n    import ujson as json\nexcept ImportError:\n    json = None\nx = 1\n",
            "try:\n    pass\nexcept ImportError:\n    json = None\nx = 1\n",
            id="block-keeps-a-statement",
        ),
        pytest.param(
            "def f():\n    import time\n    time.sleep(1)\n",
            "def f():\n    import time\n    pass\n",
            "def f():\n    import time\n    pass\n",
            id="function-scope-left-alone",
        ),
        pytest.param(
            "import time\r\n\r\nimport requests\r\nrequests.get(time.time())\r\n",
            "import time\r\n\r\nimport requests\r\nrequests.get(1)\r\n",
            "import requests\r\nrequests.get(1)\r\n",
            id="crlf",
        ),
    ],
)
def test_imports_the_fix_made_unused_are_removed(before: str, after: str, expected: str) -> None:
    assert tidy_imports(before, after) == expected


@pytest.mark.parametrize(
    ("text", "added", "expected"),
    [
        pytest.param(
            "from tenacity import retry, stop_after_attempt\nfrom tenacity import wait_fixed\n",
            "from tenacity import wait_fixed",
            "from tenacity import retry, stop_after_attempt, wait_fixed\n",
            id="last",
        ),
        pytest.param(
            "from tenacity import retry, wait_fixed\nfrom tenacity import stop_after_attempt\n",
            "from tenacity import stop_after_attempt",
            "from tenacity import retry, stop_after_attempt, wait_fixed\n",
            id="sorted-place",
        ),
        pytest.param(
            "from rq import Queue, Retry\nfrom rq import get_current_job\n",
            "from rq import get_current_job",
            "from rq import Queue, Retry, get_current_job\n",
            id="classes-before-functions",
        ),
        pytest.param(
            "from tenacity import (\n    retry,\n    wait_fixed,\n)\nfrom tenacity import stop_never\n",
            "from tenacity import stop_never",
            "from tenacity import (\n    retry,\n    stop_never,\n    wait_fixed,\n)\n",
            id="one-per-line",
        ),
        pytest.param(
            "from tenacity import wait_fixed, retry\nfrom tenacity import stop_never\n",
            "from tenacity import stop_never",
            "from tenacity import wait_fixed, retry, stop_never\n",
            id="unsorted-appends",
        ),
        pytest.param(
            "from tenacity import retry as r\nfrom tenacity import stop_never\nfrom x import y\n",
            "from tenacity import stop_never",
            "from tenacity import retry as r, stop_never\nfrom x import y\n",
            id="into-an-aliased-line",
        ),
        pytest.param(
            "from tenacity import AsyncRetrying, Retrying, retry, stop_after_attempt, wait_fixed\n"
            "from tenacity import wait_random_exponential\n",
            "from tenacity import wait_random_exponential",
            "from tenacity import (\n    AsyncRetrying,\n    Retrying,\n    retry,\n"
            "    stop_after_attempt,\n    wait_fixed,\n    wait_random_exponential,\n)\n",
            id="too-long-for-one-line",
        ),
        pytest.param(
            "import tenacity\nfrom tenacity import stop_never\n",
            "from tenacity import stop_never",
            "import tenacity\nfrom tenacity import stop_never\n",
            id="nothing-to-join",
        ),
    ],
)
def test_added_from_imports_join_an_existing_line(text: str, added: str, expected: str) -> None:
    assert tidy_imports(text, text, {added}) == expected


def test_a_loop_fix_leaves_no_unused_import(tmp_path: Path) -> None:
    """Through the console script, proven by ruff's unused-import and import-order checks."""
    (tmp_path / "jobs.py").write_text(LOOP)
    fixed = subprocess.run(
        [sys.executable, "-m", "retrylint", "check", "--fix", "--unsafe-fixes", "jobs.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    text = (tmp_path / "jobs.py").read_text()
    assert "retry_budget.sleep()" in text and "import time" not in text and "delay" not in text
    assert text.startswith("import requests\nfrom retrylint.guard import RetryBudget\n\n\n")
    ruff = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--isolated", "--select", "F401,F841,I001"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ruff.returncode == 0, ruff.stdout


@pytest.mark.parametrize(
    ("text", "added", "expected"),
    [
        pytest.param(
            "import os\n\nimport requests\n\nfrom .base import Base\n"
            "from retrylint.guard import RetryBudget\n\nx = 1\n",
            "from retrylint.guard import RetryBudget",
            "import os\n\nimport requests\nfrom retrylint.guard import RetryBudget\n\n"
            "from .base import Base\n\nx = 1\n",
            id="third-party-before-relative",
        ),
        pytest.param(
            "import os\n\nfrom .base import Base\nfrom retrylint.guard import RetryBudget\n",
            "from retrylint.guard import RetryBudget",
            "import os\n\nfrom retrylint.guard import RetryBudget\n\nfrom .base import Base\n",
            id="a-new-section",
        ),
        pytest.param(
            "try:\n    import x\nexcept ImportError:\n    x = None\n\n"
            "from shop.models import Order\nfrom retrylint.guard import RetryBudget\n",
            "from retrylint.guard import RetryBudget",
            "try:\n    import x\nexcept ImportError:\n    x = None\n\n"
            "from retrylint.guard import RetryBudget\n\nfrom shop.models import Order\n",
            id="before-first-party",
        ),
        pytest.param(
            "import time\nimport uuid\n\nimport requests\nimport random\n",
            "import random",
            "import random\nimport time\nimport uuid\n\nimport requests\n",
            id="stdlib-sorted",
        ),
        pytest.param(
            "import os\n\nimport requests\nfrom retrylint.guard import RetryBudget\n",
            "from retrylint.guard import RetryBudget",
            "import os\n\nimport requests\nfrom retrylint.guard import RetryBudget\n",
            id="already-in-place",
        ),
        pytest.param(
            "import os\nfrom retrylint.guard import RetryBudget\n",
            "from retrylint.guard import RetryBudget",
            "import os\n\nfrom retrylint.guard import RetryBudget\n",
            id="last-section",
        ),
    ],
)
def test_added_lines_move_to_their_sorted_place(text: str, added: str, expected: str) -> None:
    assert tidy_imports(text, text, {added}, frozenset({"shop"})) == expected


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        pytest.param(
            "def f():\n    delay = 2 ** 3\n    sleep(delay)\n",
            "def f():\n    delay = 2 ** 3\n    budget.sleep()\n",
            "def f():\n    budget.sleep()\n",
            id="plain-value-removed",
        ),
        pytest.param(
            "def f():\n    delay = compute()\n    sleep(delay)\n",
            "def f():\n    delay = compute()\n    budget.sleep()\n",
            "def f():\n    compute()\n    budget.sleep()\n",
            id="call-kept-for-its-effects",
        ),
        pytest.param(
            "def f():\n    delay = 1\n    return 2\n",
            "def f():\n    delay = 1\n    return 3\n",
            "def f():\n    delay = 1\n    return 3\n",
            id="unused-before-stays",
        ),
        pytest.param(
            "def f():\n    delay = 1\n    sleep(delay)\n    delay *= 2\n",
            "def f():\n    delay = 1\n    budget.sleep()\n    delay *= 2\n",
            "def f():\n    delay = 1\n    budget.sleep()\n    delay *= 2\n",
            id="augmented-is-a-read",
        ),
        pytest.param(
            "class A:\n    def f(self):\n        d = 1\n        sleep(d)\n",
            "class A:\n    def f(self):\n        d = 1\n        pass\n",
            "class A:\n    def f(self):\n        pass\n",
            id="method",
        ),
        pytest.param(
            "def f():\n    d = 1\n    sleep(d)\n    return locals()\n",
            "def f():\n    d = 1\n    pass\n    return locals()\n",
            "def f():\n    d = 1\n    pass\n    return locals()\n",
            id="locals-reads-everything",
        ),
    ],
)
def test_locals_the_fix_made_unused_are_removed(before: str, after: str, expected: str) -> None:
    assert tidy_imports(before, after) == expected


def ruff_counts(folder: Path) -> dict[str, int]:
    """ruff's unused-import, unused-variable and import-order findings per file."""
    command = ["ruff", "check", "--isolated", "--select", "F401,F841,I001", "."]
    completed = subprocess.run(
        [sys.executable, "-m", *command, "--output-format", "json", "--exit-zero"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
    )
    counts: dict[str, int] = {}
    for item in json.loads(completed.stdout):
        name = Path(item["filename"]).relative_to(folder.resolve()).as_posix()
        counts[name] = counts.get(name, 0) + 1
    return counts


def test_fix_case_outputs_add_no_unused_import_variable_or_disorder(tmp_path: Path) -> None:
    """Every expected fix output: ruff finds nothing new that the input did not have."""
    cases = Path(__file__).parent / "fix_cases"
    pairs = {
        fixed.relative_to(cases).as_posix(): fixed.with_name(
            fixed.name[: -len(".fixed.py")] + ".py"
        )
        for fixed in sorted(cases.rglob("*.fixed.py"))
    }
    for kind in ("before", "after"):
        for name, source in pairs.items():
            target = tmp_path / kind / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes((source if kind == "before" else cases / name).read_bytes())
    before, after = ruff_counts(tmp_path / "before"), ruff_counts(tmp_path / "after")
    new = {
        name: after[name] - before.get(name, 0)
        for name in after
        if after[name] > before.get(name, 0)
    }
    assert new == {}
