"""The prefilter changes what is analysed, never what is reported.

Proven three ways: every fixture project reports the same findings and jobs with and without
it; every file it outlines gets exactly the facts the full analysis gives it (the side-effect
scan aside: it only counts where a job reaches, and such files are analysed in full); and the
same holds for generated projects (a job module calling helper modules) and for arbitrary valid
Python (hypothesmith), where the outline must match libcst's collector on syntax no fixture has.
"""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

import hypothesmith
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retrylint.catalog import load_catalog
from retrylint.config import Config
from retrylint.effects.scan import DATA_KEY as EFFECTS
from retrylint.engine import run
from retrylint.facts import FileFacts
from retrylint.file_phase import AnalysisSettings, analyse_source
from retrylint.frameworks.retry_library.shared import LIBRARIES
from retrylint.prefilter import named_by_words
from retrylint.reporters.jobs_report import render_jobs_json
from tests.conftest import analyse_project, any_python_settings, fixture_projects

ALL_RULES = frozenset(rule.code for rule in load_catalog())
CONFIG = Config(root=Path("."), path=None)
PREFILTERED = AnalysisSettings(CONFIG, ALL_RULES, prefilter=True)
FULL = AnalysisSettings(CONFIG, ALL_RULES, prefilter=False)


def comparable(facts: FileFacts) -> FileFacts:
    """Facts without the side-effect scan's records (judged only where a job reaches)."""
    return dataclasses.replace(facts, data=tuple(d for d in facts.data if d[0] != EFFECTS))


def assert_outline_exact(path: str, data: bytes) -> bool:
    """The file's outline equals its full facts; False when the prefilter did not outline it."""
    outlined = analyse_source(path, data, PREFILTERED)
    if not outlined.outlined:
        return False
    full = analyse_source(path, data, FULL)
    assert full.facts is not None, full.findings
    assert outlined.facts is not None
    assert comparable(outlined.facts) == comparable(full.facts)
    assert all(finding.job_code for finding in full.findings), [
        (f.code, f.span.line) for f in full.findings if not f.job_code
    ]
    return True


def report(result) -> tuple[list, str]:  # type: ignore[no-untyped-def]
    findings = [dataclasses.astuple(finding) for finding in result.findings]
    return findings, render_jobs_json(result.jobs, result.reach)


# -- fixtures -----------------------------------------------------------------------------------


@pytest.mark.parametrize("folder", fixture_projects(), ids=lambda p: p.name)
def test_fixture_projects_report_the_same_either_way(folder: Path) -> None:
    every = tuple(sorted(ALL_RULES))
    prefiltered = analyse_project(folder, every, prefilter=True)
    full = analyse_project(folder, every, prefilter=False)
    assert report(prefiltered) == report(full)
    assert prefiltered.errors == full.errors


def test_every_outlined_fixture_file_has_the_full_facts() -> None:
    root = Path(__file__).resolve().parent.parent / "fixtures"
    outlined = [
        path
        for path in sorted(root.rglob("*.py"))
        if assert_outline_exact(str(path), path.read_bytes())
    ]
    assert len(outlined) >= 30  # helpers, models, views, settings: the test is not vacuous


# -- the outline on constructs whose order of visits differs between ast and libcst -------------

ORDER_CASES = {
    "keywords before a starred argument": "def f(a):\n    g(x=h(), *k(), y=m())\n",
    "dict entries interleave keys and values": "def f():\n    return {a(): b(), **c(), d(): e()}\n",
    "decorators before the function, defaults inside it": (
        "@deco(one())\ndef f(a=two(), /, b=three(), *c, d=four(), **e) -> five():\n    six()\n"
    ),
    "a class body before its bases": (
        "def f():\n    class C(base(), metaclass=meta()):\n        x = body()\n    return C\n"
    ),
    "an except body before its type": (
        "def f():\n    try:\n        a()\n    except kind() as error:\n        b(error)\n"
    ),
    "a case body before its guard": (
        "def f(x):\n    match x:\n        case [y] if guard(y):\n            body(y)\n"
    ),
    "lambdas, comprehensions and nested functions": (
        "def f(items):\n    key = lambda x=d(): e(x)\n    def inner():\n        return g()\n"
        "    return [h(i) for i in items if k(i)], sorted(items, key=key), inner\n"
    ),
    "bindings, instances, methods and class constants": (
        "import shop.client as sc\nfrom . import helpers\nfrom .. import *\nLIMIT = 3 * 60\n"
        "NAME: str = 'x' 'y'\nclient = sc.Client(timeout=LIMIT)\n"
        "class Base:\n    TIMEOUT = -1.5\n    conn = sc.Pool()\n"
        "    def __init__(self):\n        self.api = sc.Api()\n"
        "    def deliver(self, to):\n        api = sc.Api()\n        api.post(to)\n"
        "        self.api.get(to)\n        super().deliver(to)\n        helpers.note(self.deliver)\n"
        "class Child(Base, sc.Mixin):\n    class Meta:\n        ordering = ['-id']\n"
        "    async def deliver(self, to):\n        return await sc.Remote().call(to)\n"
    ),
    "values the outline evaluates": (
        "A = (1, -2, 3.5, None, True, 'a', b'b', 1j, ..., [4], {5}, {'k': 6, **{}})\n"
        "B = A + 1\nC = 2 ** 10 // 3 % 7 - 1 / 4\nD = int('5')\nE = os.getenv('X', 30)\n"
        "F = lambda: 3\nG = f'{A}'\nH = not A\nI = A[0]\nJ = x @ y\nK = call(*A)\n"
        "L = call(**A)\nM = 10 / 0\nimport os\n"
    ),
    "decorated functions record their decorators": (
        "import functools\nfrom shop import policies as p\n@p.resilient\ndef a():\n    pass\n"
        "@p.resilient(3, attempts=2, *more)\nasync def b():\n    pass\n"
        "class C:\n    @property\n    def x(self):\n        return 1\n"
        "    @functools.cache\n    def y(self):\n        return 2\n"
    ),
    "an import at the end of a line of statements": "x = 1; import os; y = (\n    2)\nz = 3\n",
    "a docstring and no imports": '"""Doc."""\n\nX = 1\n',
    "a def inside a string before the real def": (
        'TEXT = """\ndef late():\n"""\n@deco\ndef late():\n    pass\n'
    ),
}


@pytest.mark.parametrize("source", ORDER_CASES.values(), ids=ORDER_CASES.keys())
def test_outline_matches_the_collector(source: str) -> None:
    assert assert_outline_exact("case.py", source.encode()), "the prefilter sent it to libcst"


def test_library_decorators_are_prefilter_words() -> None:
    """The shared-policy adapter skips a retry library's own decorators; the outline need not,
    because a file naming one never gets an outline."""
    for library in LIBRARIES:
        for decorator in library.decorators:
            assert named_by_words(f"@{decorator}\n".encode()), decorator


# -- generated projects -------------------------------------------------------------------------

HELPER_BODIES = [
    "    try:\n        deliver(item)\n    except Exception:\n        pass\n",
    "    try:\n        deliver(item)\n    except Exception:\n        log.warning('failed')\n"
    "        return None\n    return item\n",
    "    requests.post('https://partner.example/api', json={'id': item}, timeout=5)\n",
    "    Order.objects.create(ref=item)\n    send_mail('done', str(item), 'a@b.c', ['d@e.f'])\n",
    "    log.info('item %s', item)\n    return [deliver(i) for i in range(3)]\n",
    "    helper = Client()\n    helper.push(item)\n",
    "    with open('out.txt', 'a') as out:\n        out.write(str(item))\n",
]


@st.composite
def project(draw: st.DrawFn) -> dict[str, str]:
    """A Celery task module whose tasks call functions of helper modules, some of which call
    each other; and a module no job reaches."""
    count = draw(st.integers(min_value=1, max_value=3))
    files: dict[str, str] = {}
    for n in range(count):
        functions = []
        for k in range(draw(st.integers(min_value=1, max_value=3))):
            body = draw(st.sampled_from(HELPER_BODIES))
            functions.append(f"def work_{n}_{k}(item):\n{body}")
        if n and draw(st.booleans()):
            functions.append(f"def chain_{n}(item):\n    helpers_0.work_0_0(item)\n")
        files[f"app/helpers_{n}.py"] = (
            "import logging\nimport requests\nfrom django.core.mail import send_mail\n"
            "from app import helpers_0\nfrom app.models import Order, Client\n"
            "log = logging.getLogger(__name__)\n\ndef deliver(item):\n    return item\n\n"
            + "\n".join(functions)
        )
    calls = draw(st.lists(st.integers(min_value=0, max_value=count - 1), min_size=1, max_size=3))
    tasks = "\n".join(
        f"@shared_task(bind=True, max_retries={draw(st.sampled_from(['3', 'None']))})\n"
        f"def task_{i}(self, item):\n    helpers_{n}.work_{n}_0(item)\n"
        for i, n in enumerate(calls)
    )
    files["app/tasks.py"] = (
        "from celery import shared_task\n"
        + "".join(f"from app import helpers_{n}\n" for n in range(count))
        + "\n"
        + tasks
    )
    files["app/models.py"] = (
        "class Order:\n    objects = None\n\nclass Client:\n    def push(self, item):\n        pass\n"
    )
    files["app/__init__.py"] = ""
    return files


@settings(max_examples=25, deadline=None, derandomize=True, database=None)
@given(files=project())
def test_generated_projects_report_the_same_either_way(files: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for name, text in files.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(text)
        config = Config(root=root, path=None)
        paths = sorted(str(root / name) for name in files)
        prefiltered = run(paths, config, ALL_RULES, prefilter=True)
        full = run(paths, config, ALL_RULES, prefilter=False)
        assert report(prefiltered) == report(full)
        assert prefiltered.errors == full.errors == []
        assert full.jobs and full.findings  # the project exercises reach, not only parsing


@any_python_settings()
@given(source=hypothesmith.from_grammar())
@pytest.mark.filterwarnings("ignore::SyntaxWarning")  # hypothesmith compiles what it generates
def test_outline_matches_the_collector_on_any_python(source: str) -> None:
    try:
        data = source.encode("utf-8")
    except UnicodeEncodeError:
        return
    full = analyse_source("any.py", data, FULL)
    if full.facts is None:  # libcst refuses what CPython accepts: the full path reports it
        return
    assert_outline_exact("any.py", data)


def test_a_bug_in_the_outline_costs_time_not_findings(monkeypatch: pytest.MonkeyPatch) -> None:
    import retrylint.outline

    def broken(source: str, tree: object) -> None:
        raise KeyError("an outline bug")

    monkeypatch.setattr(retrylint.outline, "outline_facts", broken)
    data = ORDER_CASES["bindings, instances, methods and class constants"].encode()
    result = analyse_source("case.py", data, PREFILTERED)
    assert not result.outlined and result.error is None
    assert result.facts == analyse_source("case.py", data, FULL).facts


@pytest.mark.parametrize("command", [["jobs", "--format", "json"], ["audit", "--format", "json"]])
def test_jobs_and_audit_take_no_prefilter_and_say_the_same(
    command: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from retrylint.cli import main

    monkeypatch.chdir(Path(__file__).resolve().parent.parent / "fixtures" / "celery_shop")
    prefiltered = CliRunner().invoke(main, [*command, "."])
    full = CliRunner().invoke(main, [*command, "--no-prefilter", "."])
    assert prefiltered.exit_code == full.exit_code == 0, full.output
    assert prefiltered.output == full.output


def test_declaration_hooks_are_the_adapters_own_in_their_order() -> None:
    """The outline reads ``declared`` hooks without importing the adapters: the list it reads
    must be exactly the hooks the adapters offer, in the adapters' order."""
    from retrylint.frameworks import adapter_modules, declaration_hooks

    offered = [hook for a in adapter_modules() if (hook := getattr(a, "declared", None))]
    assert list(declaration_hooks()) == offered
