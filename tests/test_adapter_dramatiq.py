"""The Dramatiq adapter: actors, brokers, option precedence and the effective policy
(frameworks.md 3)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from retrylint.config import Config
from retrylint.file_phase import AnalysisSettings, analyse_source
from retrylint.model import UNBOUNDED, UNKNOWN, Job
from retrylint.values import Ref
from tests.conftest import analysed_jobs


def project(tmp_path: Path, files: dict[str, str]) -> dict[str, Job]:
    """Write ``files`` under tmp_path, analyse it as one project, return Dramatiq jobs by name."""
    return {job.name: job for job in analysed_jobs(tmp_path, files) if job.framework == "dramatiq"}


def actors(tmp_path: Path, body: str, broker: str | None = None) -> dict[str, Job]:
    files = {"app/__init__.py": "", "app/actors.py": body}
    if broker is not None:
        files["app/broker.py"] = broker
    return project(tmp_path, files)


# -- detection ---------------------------------------------------------------------------------
def test_decorator_spellings(tmp_path: Path) -> None:
    jobs = actors(
        tmp_path,
        """
        import dramatiq
        import dramatiq as dq
        from dramatiq import actor
        from dramatiq import actor as act

        @dramatiq.actor
        def a(): ...

        @dq.actor()
        def b(): ...

        @actor(actor_name="renamed")
        def c(): ...

        @act
        async def d(): ...
        """,
    )
    assert sorted(jobs) == ["a", "b", "d", "renamed"]
    job = jobs["renamed"]
    assert job.kind == "actor"
    assert job.qualname == "app.actors.c"
    assert job.function == "c"
    assert job.span.line == 14  # the function name, not the decorator
    shape = job.detail("decorator")
    assert shape.called and shape.keyword_span("actor_name") is not None
    assert jobs["a"].detail("decorator").called is False


def test_look_alikes_are_not_actors(tmp_path: Path) -> None:
    jobs = actors(
        tmp_path,
        """
        import dramatiq

        def actor(fn):
            return fn

        @actor
        def local_decorator(): ...

        class Thing:
            def perform(self): ...

        @dramatiq.group
        def not_an_actor(): ...
        """,
    )
    assert jobs == {}


def test_defaults_without_a_broker(tmp_path: Path) -> None:
    job = actors(tmp_path, "import dramatiq\n\n@dramatiq.actor\ndef send(): ...\n")["send"]
    policy = job.policy
    assert policy.retries.value is True
    assert policy.max_attempts.value == 21
    assert policy.max_attempts.source == "default"
    assert policy.max_attempts.describe() == "max_retries=20 (Dramatiq default)"
    delay = policy.delay.value
    assert (delay.strategy, delay.base, delay.cap, delay.jitter) == (
        "exponential",
        15.0,
        604800.0,
        True,
    )
    assert policy.retry_on.value == "all"
    assert policy.permanent.value == ()
    assert policy.deadline.value is None
    assert policy.redelivery.value is True
    assert job.time_limit is not None and job.time_limit.value == 600.0
    assert job.detail("broker") is None


def test_explicit_options_in_milliseconds(tmp_path: Path) -> None:
    job = actors(
        tmp_path,
        """
        import dramatiq

        class Permanent(Exception): ...

        @dramatiq.actor(
            max_retries=3,
            min_backoff=2_000,
            max_backoff=30 * 24 * 3600 * 1000,
            throws=(Permanent, KeyError),
            time_limit=45_000,
            max_age=3_600_000,
        )
        def charge(): ...
        """,
    )["charge"]
    policy = job.policy
    assert policy.max_attempts.value == 4
    assert (policy.max_attempts.source, policy.max_attempts.line) == ("explicit", 7)
    assert policy.max_attempts.origin == "max_retries=3"
    delay = policy.delay.value
    assert delay.base == 2.0
    assert delay.cap == 604800.0  # max_backoff above 7 days is clamped
    assert policy.permanent.value == ("app.actors.Permanent", "KeyError")
    assert policy.deadline.value == 3600.0
    assert job.time_limit is not None and job.time_limit.value == 45.0


def test_unbounded_and_unknown_max_retries(tmp_path: Path) -> None:
    jobs = actors(
        tmp_path,
        """
        import dramatiq
        from settings import RETRIES

        @dramatiq.actor(max_retries=None)
        def forever(): ...

        @dramatiq.actor(max_retries=RETRIES)
        def configured(): ...

        @dramatiq.actor(max_retries=0)
        def once(): ...
        """,
    )
    assert jobs["forever"].policy.max_attempts.value is UNBOUNDED
    assert jobs["forever"].policy.retries.value is True
    assert jobs["configured"].policy.max_attempts.value is UNKNOWN
    assert jobs["configured"].policy.retries.value is UNKNOWN
    once = jobs["once"].policy
    assert once.max_attempts.value == 1
    assert once.retries.value is False
    assert once.retry_on.value == ()
    assert once.redelivery.value is True  # a crash still redelivers


# -- retry_when --------------------------------------------------------------------------------
def test_retry_when_replaces_max_retries(tmp_path: Path) -> None:
    jobs = actors(
        tmp_path,
        """
        import dramatiq
        from helpers import decide

        def bounded(retries, exc):
            return retries < 3 and isinstance(exc, (ConnectionError, TimeoutError))

        @dramatiq.actor(retry_when=lambda retries, exc: True, max_retries=2)
        def always(): ...

        @dramatiq.actor(retry_when=lambda n, e: n <= 4)
        def counted(): ...

        @dramatiq.actor(retry_when=bounded)
        def named(): ...

        @dramatiq.actor(retry_when=lambda n, e: isinstance(e, OSError))
        def only_os(): ...

        @dramatiq.actor(retry_when=decide, max_retries=1)
        def elsewhere(): ...

        @dramatiq.actor(retry_when=lambda n, e: not isinstance(e, ValueError))
        def all_but(): ...
        """,
    )
    always = jobs["always"].policy
    assert always.max_attempts.value is UNBOUNDED
    assert always.max_attempts.origin == "retry_when=lambda retries, exc: True"
    assert always.max_attempts.line == 8
    assert jobs["counted"].policy.max_attempts.value == 6
    named = jobs["named"].policy
    assert named.max_attempts.value == 4
    assert named.retry_on.value == ("ConnectionError", "TimeoutError")
    assert jobs["named"].detail("retry_when_function") == "$.bounded"
    only_os = jobs["only_os"].policy
    assert only_os.max_attempts.value is UNBOUNDED
    assert only_os.retry_on.value == ("OSError",)
    elsewhere = jobs["elsewhere"]
    assert elsewhere.policy.max_attempts.value is UNKNOWN  # max_retries=1 is ignored
    assert elsewhere.policy.retry_on.value is UNKNOWN
    assert elsewhere.detail("retry_when_function") == "helpers.decide"
    all_but = jobs["all_but"].policy
    assert all_but.max_attempts.value is UNBOUNDED
    assert all_but.permanent.value == ("ValueError",)


# -- brokers -----------------------------------------------------------------------------------
BROKER = """
import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import Retries, TimeLimit, AgeLimit

broker = RedisBroker(
    middleware=[Retries(max_retries=4, min_backoff=500), TimeLimit(time_limit=90_000), AgeLimit()],
    dead_message_ttl=0,
)
dramatiq.set_broker(broker)
"""


def test_broker_middleware_is_app_config(tmp_path: Path) -> None:
    jobs = actors(
        tmp_path,
        """
        import dramatiq

        @dramatiq.actor
        def plain(): ...

        @dramatiq.actor(max_retries=1)
        def own(): ...
        """,
        BROKER,
    )
    plain = jobs["plain"]
    attempts = plain.policy.max_attempts
    assert attempts.value == 5
    assert attempts.source == "app-config"
    assert attempts.path is not None and attempts.path.endswith("broker.py")
    assert attempts.line == 7
    assert attempts.origin == "Retries(max_retries=4)"
    assert plain.policy.delay.value.base == 0.5
    assert plain.policy.delay.value.cap == 604800.0
    assert plain.time_limit is not None and plain.time_limit.value == 90.0
    assert plain.time_limit.source == "app-config"
    assert plain.detail("broker") == "app.broker.broker"
    assert jobs["own"].policy.max_attempts.value == 2
    assert jobs["own"].policy.max_attempts.source == "explicit"


def test_broker_config_facts() -> None:
    settings = AnalysisSettings(Config(root=Path("."), path=None), frozenset())
    facts = analyse_source("broker.py", textwrap.dedent(BROKER).encode(), settings).facts
    assert facts is not None
    assert [(o.name, o.kind) for o in facts.objects] == [("broker", "dramatiq-broker")]
    keys = {c.key: c for c in facts.configs}
    assert keys["dead_message_ttl"].value.value == 0  # for RL602
    assert keys["Retries.max_retries"].scope == "$.broker"
    assert keys["set_broker"].value.value == Ref("$.broker")


def test_middleware_list_without_retries_disables_retries(tmp_path: Path) -> None:
    jobs = actors(
        tmp_path,
        """
        import dramatiq

        @dramatiq.actor(max_retries=5)
        def job(): ...
        """,
        """
        from dramatiq.brokers.rabbitmq import RabbitmqBroker
        from dramatiq.middleware import AgeLimit, Callbacks

        rabbit = RabbitmqBroker(middleware=[AgeLimit(), Callbacks()])
        """,
    )
    job = jobs["job"]
    assert job.policy.retries.value is False
    assert job.policy.max_attempts.value == 1
    assert "without Retries" in job.policy.retries.origin
    assert job.time_limit is not None and job.time_limit.value is None  # no TimeLimit either
    assert job.detail("retries_middleware") == "absent"


def test_add_middleware_and_inline_set_broker(tmp_path: Path) -> None:
    jobs = actors(
        tmp_path,
        """
        import dramatiq

        @dramatiq.actor
        def job(): ...
        """,
        """
        import dramatiq
        from dramatiq.brokers.redis import RedisBroker
        from dramatiq.middleware import Retries

        dramatiq.set_broker(RedisBroker(url="redis://"))
        broker = dramatiq.get_broker()
        broker.add_middleware(Retries(max_retries=None))
        """,
    )
    # Two brokers are visible; set_broker names the inline one, whose config is the default.
    job = jobs["job"]
    assert job.policy.max_attempts.value == 21
    assert job.detail("broker", "").endswith("<broker@6>")


def test_broker_option_and_ambiguous_brokers(tmp_path: Path) -> None:
    jobs = project(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/brokers.py": """
                from dramatiq.brokers.redis import RedisBroker
                from dramatiq.middleware import Retries

                fast = RedisBroker(middleware=[Retries(max_retries=1)])
                slow = RedisBroker(middleware=[Retries(max_retries=9)])
            """,
            "app/actors.py": """
                import dramatiq
                from app.brokers import slow

                @dramatiq.actor(broker=slow)
                def chosen(): ...

                @dramatiq.actor
                def ambiguous(): ...
            """,
        },
    )
    assert jobs["chosen"].policy.max_attempts.value == 10
    assert jobs["ambiguous"].policy.max_attempts.value is UNKNOWN


def test_test_broker_does_not_win(tmp_path: Path) -> None:
    jobs = project(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/actors.py": "import dramatiq\n\n@dramatiq.actor\ndef job(): ...\n",
            "app/broker.py": BROKER,
            "tests/__init__.py": "",
            "tests/conftest.py": """
                import dramatiq
                from dramatiq.brokers.stub import StubBroker

                stub = StubBroker()
                dramatiq.set_broker(stub)
            """,
        },
    )
    assert jobs["job"].policy.max_attempts.value == 5


# -- class-based actors ------------------------------------------------------------------------
def test_generic_actors_across_modules(tmp_path: Path) -> None:
    jobs = project(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/base.py": """
                import dramatiq

                class Base(dramatiq.GenericActor):
                    class Meta:
                        abstract = True
                        max_retries = 2
                        on_failure = "alert"

                    def perform(self, x): ...
            """,
            "app/concrete.py": """
                from app.base import Base

                class Inherits(Base):
                    def helper(self): ...

                class Own(Base):
                    class Meta:
                        actor_name = "own-actor"
                        max_retries = None
            """,
        },
    )
    assert sorted(jobs) == ["Inherits", "own-actor"]
    inherits = jobs["Inherits"]
    assert inherits.kind == "actor"
    assert inherits.qualname == "app.concrete.Inherits"
    assert inherits.function == "Inherits"  # perform is inherited, not in this class
    assert (inherits.span.line, inherits.span.column) == (4, 7)
    attempts = inherits.policy.max_attempts
    assert attempts.value == 3
    assert attempts.path is not None and attempts.path.endswith("base.py")
    assert [h.kind for h in inherits.failure_hooks] == ["on_failure"]
    assert inherits.failure_hooks[0].every_attempt is True
    assert jobs["own-actor"].policy.max_attempts.value is UNBOUNDED
    assert jobs["own-actor"].failure_hooks == ()


# -- hooks and call sites ----------------------------------------------------------------------
def test_hooks_and_call_sites(tmp_path: Path) -> None:
    jobs = project(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/mw.py": """
                import dramatiq

                class Pager(dramatiq.Middleware):
                    def after_process_message(self, broker, message, *, result=None, exception=None):
                        if exception is not None:
                            page(message.actor_name, exception)
            """,
            "app/broker.py": """
                from dramatiq.brokers.redis import RedisBroker
                from app.mw import Pager

                broker = RedisBroker()
                broker.add_middleware(Pager())
            """,
            "app/actors.py": """
                import dramatiq

                @dramatiq.actor(on_failure="log_it", on_retry_exhausted="give_up")
                def job(x): ...
            """,
            "app/views.py": """
                from app.actors import job
                from app import actors

                def view():
                    job.send(1)
                    actors.job.send_with_options(args=(2,), max_retries=0, delay=1000)
                    job.message(3)
                    job(4)
            """,
        },
    )
    job = jobs["job"]
    assert [(h.kind, h.every_attempt) for h in job.failure_hooks] == [
        ("on_failure", True),
        ("on_retry_exhausted", False),
        ("middleware.after_process_message", True),
    ]
    assert job.failure_hooks[2].target == "app.mw.Pager"
    assert [site.method for site in job.call_sites] == ["send", "send_with_options", "message"]
    assert len(job.policies) == 1
    site, policy = job.policies[0]
    assert site.method == "send_with_options"
    assert site.policy is policy
    assert policy.max_attempts.value == 1
    assert policy.max_attempts.path is not None and policy.max_attempts.path.endswith("views.py")
    assert job.policy.max_attempts.value == 21  # the actor's own policy is unchanged


def test_odd_shapes_do_not_raise(tmp_path: Path) -> None:
    jobs = actors(
        tmp_path,
        """
        import dramatiq

        opts = {}

        @dramatiq.actor(**opts)
        def starred(): ...

        @dramatiq.actor(retry_when=lambda: True)
        def no_params(): ...

        @dramatiq.actor(retry_when=lambda *a: a[0] < 3)
        def star_lambda(): ...

        @dramatiq.actor
        class NotAFunction: ...

        def outer():
            @dramatiq.actor(actor_name=make_name())
            def inner(): ...

        dramatiq.set_broker()
        x.add_middleware()
        """,
    )
    assert jobs["starred"].policy.max_attempts.value == 21
    assert jobs["no_params"].policy.max_attempts.value is UNBOUNDED
    assert jobs["star_lambda"].policy.max_attempts.value is UNKNOWN
    assert jobs["inner"].detail("actor_name_unknown") is not None


def test_plain_files_skip_the_position_pass() -> None:
    """Candidates in files that do not import dramatiq get their span from the text."""
    import libcst

    from retrylint.collector import build_context
    from retrylint.frameworks import FactSink
    from retrylint.frameworks import dramatiq as adapter

    source = textwrap.dedent(
        """
        from django.db import models
        from app.base import BaseTask

        class Invoice(models.Model):
            class Meta:
                ordering = ["-id"]

        class FooTask(BaseTask):
            def helper(self): ...
        """
    )
    ctx = build_context("m.py", source, libcst.parse_module(source), {})
    sink = FactSink()
    adapter.extract(ctx, sink)
    assert ctx._positions is None
    entries = [value for key, value in sink.data if key == adapter.SUBCLASS_DATA]
    assert [(e.function, e.span.line, e.span.column) for e in entries] == [("FooTask", 9, 7)]


def test_a_steady_retry_under_a_404_test_waits_for_a_state(tmp_path: Path) -> None:
    """``except ClientError as e: if e.status_code == 404: raise Retry(delay=1000)`` retries a
    missing resource at that pace; the clause's other failures go to the backoff (or raise)."""
    found = actors(
        tmp_path,
        """
        import dramatiq
        from dramatiq import Retry

        class ClientError(Exception):
            status_code = 500

        @dramatiq.actor(max_retries=20)
        def link_member(member_id):
            try:
                fetch(member_id)
            except ClientError as error:
                if error.status_code == 404 and member_id:
                    raise Retry(delay=1_000) from error
                raise

        @dramatiq.actor(max_retries=20)
        def sync_member(member_id):
            try:
                fetch(member_id)
            except ClientError as error:
                if error.status_code in (502, 503):
                    raise Retry(delay=1_000) from error
                raise

        def fetch(member_id): ...
        """,
    )
    assert found["link_member"].detail("delay_retry_on") == ("HTTP 404 NotFound",)
    handled = found["sync_member"].detail("delay_retry_on")
    assert [name.rsplit(".", 1)[-1] for name in handled] == ["ClientError"]
