"""The side-effect catalogue and scan: what fixtures cannot show line by line.

The loader's validation (a bad pack names its file and key), pattern matching, receivers bound
in every way Python binds them, guards at the call (fresh keys, headers filled in later, spreads
that may hide a key) and the state-check vocabulary.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import libcst as cst
import pytest

from retrylint.collector import nodes_within
from retrylint.config import ConfigError, load_config
from retrylint.effects.catalogue import (
    Entry,
    SideEffectPackError,
    load_side_effects,
    validate_pack,
)
from retrylint.effects.jobs import project_effects
from retrylint.effects.scan import EffectScan
from tests.conftest import FIXTURES, analyse_project

CELERY = """\
from celery import Celery

app = Celery("shop")
"""


def effects_of(
    tmp_path: Path, source: str, **others: str
) -> dict[str, list[tuple[str, str | None]]]:
    """(call, guard) of each job's side effects, by job name; ``source`` runs as tasks.py."""
    (tmp_path / "tasks.py").write_text(CELERY + textwrap.dedent(source))
    for name, text in others.items():
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(text))
    result = analyse_project(tmp_path)
    assert not result.errors, result.errors
    found = project_effects(result.reach.graph.index, tuple(result.jobs), result.reach)
    return {
        job.name.rsplit(".", 1)[-1]: [(e.step.text, e.guard) for e in found.of(job)]
        for job in result.jobs
    }


def entry(name: str) -> Entry:
    return next(e for e in load_side_effects().entries if e.name == name)


# -- the catalogue --------------------------------------------------------------------------------
def test_patterns_after_import_resolution() -> None:
    stripe = entry("stripe")
    assert stripe.calls is not None
    assert stripe.calls.fullmatch("stripe.PaymentIntent.create")
    assert stripe.calls.fullmatch("stripe.PaymentIntent.create_async")  # async twins
    assert stripe.calls.fullmatch("stripe.checkout.Session.create")
    assert not stripe.calls.fullmatch("stripe.Product.create")
    assert not stripe.calls.fullmatch("stripe.PaymentIntent.retrieve")
    client = entry("stripe-client").methods[0].call
    assert client.fullmatch("v1.payment_intents.create") and client.fullmatch("refunds.create")
    insert = entry("django-insert").calls
    assert insert is not None and insert.fullmatch("shop.models.Order.objects.bulk_create")
    assert not insert.fullmatch("objects.create")


def test_every_kind_the_brief_names_is_catalogued() -> None:
    kinds = {e.kind for e in load_side_effects().effects()}
    assert kinds == {"payment", "http", "email", "sms", "chat", "push", "queue", "job", "db"}


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "key", "message"),
    [
        ("effects: {}", "effects", "expected a list"),
        (
            "- {name: x, provider: X, class: money, kind: k, calls: [a.b]}",
            "effects[0].class",
            "expected one of",
        ),
        ("- {name: x, provider: X, class: payment, kind: k}", "effects[0]", "needs calls, methods"),
        (
            "- {name: x, provider: X, class: payment, kind: k, calls: [a.b], colour: red}",
            "effects[0].colour",
            "unknown key",
        ),
        (
            "- {name: x, provider: X, class: payment, kind: k, calls: ['a b']}",
            "effects[0].calls[0]",
            "not a dotted",
        ),
        (
            "- {name: x, provider: X, class: payment, kind: k, calls: [a.b], fix: keyword}",
            "effects[0].fix",
            "needs guard.keyword",
        ),
        (
            "- {name: x, provider: X, class: payment, kind: k, methods: [{call: [send]}]}",
            "effects[0].methods[0]",
            "needs of, subclass_of or names",
        ),
        (
            "- {name: x, provider: X, class: payment, kind: k, methods: [{of: [a.B]}]}",
            "effects[0].methods[0].call",
            "missing",
        ),
        (
            "- {name: stripe, provider: X, class: payment, kind: k, calls: [a.b]}",
            "effects[0].name",
            "also in",
        ),
    ],
)
def test_a_bad_pack_names_its_file_and_key(
    tmp_path: Path, text: str, key: str, message: str
) -> None:
    pack = write(tmp_path / "mine.yaml", text)
    with pytest.raises(SideEffectPackError) as raised:
        load_side_effects((pack,))
    assert raised.value.key == key
    assert message in raised.value.message
    assert str(pack) in str(raised.value)


def test_a_pack_that_is_not_yaml(tmp_path: Path) -> None:
    pack = write(tmp_path / "mine.yaml", "effects: [\n")
    with pytest.raises(SideEffectPackError, match="invalid YAML"):
        validate_pack(pack)


def test_the_config_stops_on_a_bad_pack(tmp_path: Path) -> None:
    write(tmp_path / "packs" / "mine.yaml", "- {name: x, provider: X, class: money, kind: k}\n")
    write(tmp_path / "retrylint.toml", 'extra-side-effects = ["packs/mine.yaml"]\n')
    with pytest.raises(ConfigError) as raised:
        load_config(tmp_path)
    assert "retrylint.toml: 'extra-side-effects' pack " in str(raised.value)
    assert "mine.yaml: effects[0].class: expected one of payment" in str(raised.value)


def test_a_pack_of_our_own_client(tmp_path: Path) -> None:
    """A pack as a plain list; its entry matches our client's method, its keyword guards it."""
    write(
        tmp_path / "effects.yaml",
        """\
        - name: acme-bank
          provider: ACME
          class: payment
          kind: payment
          methods:
            - of: [acme.Bank]
              call: [pay]
          guard:
            keyword: [request_id]
        """,
    )
    write(tmp_path / "retrylint.toml", 'extra-side-effects = ["effects.yaml"]\n')
    found = effects_of(
        tmp_path,
        """
        from acme import Bank

        @app.task
        def pay(order_id):
            Bank().pay(100)
            Bank().pay(100, request_id=f"order-{order_id}")
        """,
    )
    assert found["pay"] == [
        ("Bank().pay(...)", None),
        ("Bank().pay(...)", 'request_id=f"order-{order_id}"'),
    ]


# -- receivers ----------------------------------------------------------------------------------
def test_receivers_bound_every_way(tmp_path: Path) -> None:
    found = effects_of(
        tmp_path,
        """
        import boto3
        import httpx
        import smtplib

        sqs = boto3.client("sqs")
        s3 = boto3.client("s3")

        class Notifier:
            def __init__(self):
                self.client = httpx.Client()

            def post(self, body):
                self.client.post("/hooks", json=body)

        @app.task
        def notify(body, client: httpx.AsyncClient):
            with smtplib.SMTP("mail") as smtp:
                smtp.sendmail("a@example.com", ["b@example.com"], body)
            client.patch("/x", json=body)
            sqs.send_message(QueueUrl="q", MessageBody=body)
            s3.send_message(QueueUrl="q", MessageBody=body)
            Notifier().post(body)
        """,
    )
    assert [call for call, _ in found["notify"]] == [
        "smtp.sendmail(...)",
        "client.patch(...)",
        "sqs.send_message(...)",
        "self.client.post(...)",
    ]


def test_verbs_and_look_alikes(tmp_path: Path) -> None:
    """PUT and DELETE are idempotent; a verb held in a name is not known; a session's add of a
    row it loaded, or one never committed here, is no insert."""
    found = effects_of(
        tmp_path,
        """
        import requests
        from sqlalchemy.orm import Session

        @app.task
        def sync(url, method, session: Session, row):
            requests.put(url)
            requests.delete(url)
            requests.request("PATCH", url)
            requests.request(method, url)
            session.add(row)
            session.commit()

        @app.task
        def stage(session: Session):
            session.add(Row())

        class Row:
            pass
        """,
    )
    assert found["sync"] == [("requests.request(...)", None)]
    assert found["stage"] == []


# -- guards at the call ---------------------------------------------------------------------------
def test_keys_that_guard_and_keys_that_do_not(tmp_path: Path) -> None:
    found = effects_of(
        tmp_path,
        """
        import uuid

        import requests
        import stripe

        @app.task
        def keys(order_id, **params):
            stripe.Refund.create(charge="ch", idempotency_key=f"refund-{order_id}")
            key = str(uuid.uuid4())
            stripe.Refund.create(charge="ch", idempotency_key=key)
            stripe.Refund.create(charge="ch", idempotency_key=None)
            stripe.Refund.create(**params)
            create = {"charge": "ch", "idempotency_key": f"r-{order_id}"}
            stripe.Refund.create(**create)
            headers = {"Authorization": "Bearer x"}
            headers["Idempotency-Key"] = str(order_id)
            requests.post("https://api.example", headers=headers)
        """,
    )
    guards = [guard for _, guard in found["keys"]]
    assert guards == [  # in order
        'idempotency_key=f"refund-{order_id}"',
        None,  # a new key on every run
        None,
        "**params may carry the key",  # hidden: not reported, listed
        'idempotency_key=f"r-{order_id}"',
        'headers["Idempotency-Key"]',
    ]


@pytest.mark.parametrize(
    ("test", "state"),
    [
        ("order.paid", True),
        ("order.receipt_sent_at is not None", True),
        ("not created", True),
        ('payout.status == "paid"', True),
        ("Order.objects.filter(pk=pk, processed=True).exists()", True),
        ("not user", False),
        ("response.status_code >= 500", True),
        ("present", False),
        ("statement", False),
        ("essential", False),
        ('url.startswith("https://pay.example/status/")', False),
    ],
)
def test_state_checks(test: str, state: bool) -> None:
    assert EffectScan().is_state_check(test) is state


@pytest.mark.parametrize("kind", [cst.Call, cst.Dict])
def test_nodes_within_finds_what_matchers_find(kind: type[cst.CSTNode]) -> None:
    """The scan's own descent finds exactly the nodes ``libcst.matchers.findall`` does."""
    import libcst.matchers as m

    files = sorted(FIXTURES.rglob("*.py"))
    assert len(files) > 100
    for path in files:
        module = cst.parse_module(path.read_bytes())
        ours = {id(node) for node in nodes_within(module, kind)}
        theirs = {id(node) for node in m.findall(module, getattr(m, kind.__name__)())}
        assert ours == theirs, path
