"""Hypothesis strategies for job code: Celery, RQ, Dramatiq, Huey, arq, taskiq, tenacity,
backoff, stamina, retrying and handwritten retry loops, each with random options.

Random Python (hypothesmith) proves the engine survives any syntax; these programs exercise
what retrylint is for: every adapter, every rule's fix, in every import style. Each snippet is a
function of the options drawn; a program joins a header of imports (``import x`` or ``from x
import ...``, aliased or not, after a docstring or ``__future__`` import or neither) with a few
snippets, and is written with LF or CRLF line endings.

Every program also plants code that would leave a trace if the analysed code ever ran: the
module level, every job's body and a retry predicate call ``_ran()``, which would write the
file named by ``MARKER``.
"""

from __future__ import annotations

from hypothesis import strategies as st

MARKER = "RETRYLINT_FUZZ_RAN"
NUMBERS = st.sampled_from(["0", "1", "3", "5", "10", "60", "600", "3600", "None", "2.5"])
SMALL = st.integers(min_value=1, max_value=40).map(str)
EXCEPTIONS = st.sampled_from(
    [
        "Exception",
        "ConnectionError",
        "(ConnectionError, TimeoutError)",
        "requests.RequestException",
        "OSError",
    ]
)

PLANT = f"""\
def _ran(*args, **kwargs):
    open({MARKER!r}, "w").write("the analysed code ran")
    return 1


_ran()
"""


@st.composite
def keywords(draw: st.DrawFn, options: dict[str, st.SearchStrategy[str]]) -> list[str]:
    """Some of ``options`` as ``name=value``, in random order."""
    names = draw(st.lists(st.sampled_from(sorted(options)), unique=True, max_size=len(options)))
    return [f"{name}={draw(options[name])}" for name in names]


@st.composite
def arguments(draw: st.DrawFn, pairs: list[str]) -> str:
    """Call arguments on one line, or one per line with or without a trailing comma."""
    if not pairs:
        return ""
    if draw(st.booleans()):
        comma = draw(st.sampled_from([",", ""]))
        return "\n    " + ",\n    ".join(pairs) + comma + "\n"
    return ", ".join(pairs)


def body(call: str = "requests.get(url, timeout=5)") -> str:
    return f"    _ran()\n    return {call}\n"


@st.composite
def celery_task(draw: st.DrawFn, n: int) -> str:
    options = draw(
        keywords(
            {
                "autoretry_for": st.sampled_from(["(Exception,)", "(requests.RequestException,)"]),
                "max_retries": NUMBERS,
                "retry_backoff": st.sampled_from(["True", "False", "30", "2"]),
                "retry_backoff_max": NUMBERS,
                "retry_jitter": st.sampled_from(["True", "False"]),
                "default_retry_delay": NUMBERS,
                "acks_late": st.sampled_from(["True", "False"]),
                "bind": st.just("True"),
            }
        )
    )
    decorator = draw(st.sampled_from(["app.task", "shared_task"]))
    if not options and draw(st.booleans()):
        head = f"@{decorator}\n"
    else:
        head = f"@{decorator}({draw(arguments(options))})\n"
    if "bind=True" in options and draw(st.booleans()):
        countdown = draw(
            st.sampled_from(
                ["", ", countdown=30", ", countdown=2 ** self.request.retries", ", countdown=0"]
            )
        )
        retries = draw(st.sampled_from(["", ", max_retries=3", ", max_retries=None"]))
        return (
            f"{head}def celery_{n}(self, url):\n"
            "    try:\n"
            "        _ran()\n"
            "        return requests.get(url, timeout=5)\n"
            f"    except {draw(EXCEPTIONS)} as exc:\n"
            f"        raise self.retry(exc=exc{countdown}{retries})\n"
        )
    first = "self, " if "bind=True" in options else ""
    return f"{head}def celery_{n}({first}url):\n{body()}"


@st.composite
def rq_job(draw: st.DrawFn, n: int) -> str:
    interval = draw(
        st.sampled_from(["", ", interval=10", ", interval=[10, 30, 60]", ", interval=0"])
    )
    retry = f"Retry(max={draw(SMALL)}{interval})"
    how = draw(st.sampled_from(["enqueue", "enqueue_in", "enqueue_call"]))
    if how == "enqueue_in":
        call = f"queue.enqueue_in(timedelta(seconds=5), rq_job_{n}, url, retry={retry})"
    elif how == "enqueue_call":
        call = f"queue.enqueue_call(rq_job_{n}, args=(url,), retry={retry})"
    else:
        call = f"queue.enqueue(rq_job_{n}, url, retry={retry})"
    return f"def rq_job_{n}(url):\n{body()}\n\ndef enqueue_{n}(url):\n    {call}\n"


@st.composite
def dramatiq_actor(draw: st.DrawFn, n: int) -> str:
    options = draw(
        keywords(
            {
                "max_retries": NUMBERS,
                "min_backoff": st.sampled_from(["0", "1000", "15000"]),
                "max_backoff": st.sampled_from(["1000", "86400000", "604800000"]),
                "time_limit": st.sampled_from(["60000", "None"]),
                "retry_when": st.just("should_retry"),
                "throws": st.sampled_from(["(ValueError,)", "KeyError"]),
            }
        )
    )
    head = "@dramatiq.actor\n" if not options else f"@dramatiq.actor({draw(arguments(options))})\n"
    return f"{head}def actor_{n}(url):\n{body()}"


@st.composite
def huey_task(draw: st.DrawFn, n: int) -> str:
    options = draw(keywords({"retries": SMALL, "retry_delay": st.sampled_from(["0", "10", "600"])}))
    kind = draw(st.sampled_from(["task", "periodic_task"]))
    if kind == "periodic_task":
        options = ["crontab(minute='*/5')", *options]
        return f"@huey.periodic_task({draw(arguments(options))})\ndef huey_{n}():\n{body()}"
    return f"@huey.task({draw(arguments(options))})\ndef huey_{n}(url):\n{body()}"


@st.composite
def arq_job(draw: st.DrawFn, n: int) -> str:
    defer = draw(
        st.sampled_from(
            ['defer=2 ** ctx["job_try"]', "defer=10", 'defer=min(2 ** ctx["job_try"], 60)', ""]
        )
    )
    return (
        f"async def arq_{n}(ctx, url):\n"
        "    try:\n"
        "        _ran()\n"
        '        return await ctx["http"].get(url)\n'
        f"    except {draw(EXCEPTIONS)} as exc:\n"
        f"        raise arq.Retry({defer}) from exc\n\n\n"
        f"class WorkerSettings{n}:\n"
        f"    functions = [arq.func(arq_{n}, max_tries={draw(SMALL)})]\n"
        f"    max_tries = {draw(SMALL)}\n"
    )


@st.composite
def taskiq_task(draw: st.DrawFn, n: int) -> str:
    middleware = draw(
        keywords(
            {
                "default_retry_count": SMALL,
                "default_delay": st.sampled_from(["0", "10", "60"]),
                "use_jitter": st.sampled_from(["True", "False"]),
                "use_delay_exponent": st.sampled_from(["True", "False"]),
                "max_delay_exponent": st.sampled_from(["60", "3600"]),
            }
        )
    )
    task = draw(keywords({"retry_on_error": st.just("True"), "max_retries": SMALL}))
    return (
        f"broker_{n} = InMemoryBroker().with_middlewares(\n"
        f"    SmartRetryMiddleware({draw(arguments(middleware))}),\n)\n\n\n"
        f"@broker_{n}.task({draw(arguments(task))})\n"
        f"async def taskiq_{n}(url):\n    _ran()\n    return url\n"
    )


@st.composite
def tenacity_retry(draw: st.DrawFn, n: int, style: str) -> str:
    prefix = "tenacity." if style == "module" else ""
    options = draw(
        keywords(
            {
                "stop": st.sampled_from(
                    [
                        f"{prefix}stop_after_attempt({draw(SMALL)})",
                        f"{prefix}stop_after_delay({draw(NUMBERS.filter(lambda v: v != 'None'))})",
                        f"{prefix}stop_never",
                    ]
                ),
                "wait": st.sampled_from(
                    [
                        f"{prefix}wait_fixed({draw(SMALL)})",
                        f"{prefix}wait_exponential(multiplier={draw(SMALL)})",
                        f"{prefix}wait_exponential(multiplier=1, max={draw(SMALL)})",
                        f"{prefix}wait_random(0, {draw(SMALL)})",
                    ]
                ),
                "retry": st.sampled_from(
                    [f"{prefix}retry_if_exception_type(ConnectionError)", f"{prefix}retry_always"]
                ),
                "reraise": st.sampled_from(["True", "False"]),
            }
        )
    )
    if draw(st.booleans()):
        decorator = (
            f"@{prefix}retry" if not options else f"@{prefix}retry({draw(arguments(options))})"
        )
        return f"{decorator}\ndef tenacity_{n}(url):\n{body()}"
    return (
        f"def tenacity_{n}(url):\n"
        f"    for attempt in {prefix}Retrying({draw(arguments(options))}):\n"
        "        with attempt:\n"
        "            _ran()\n"
        "            return requests.get(url, timeout=5)\n"
    )


@st.composite
def backoff_retry(draw: st.DrawFn, n: int) -> str:
    generator = draw(st.sampled_from(["backoff.expo", "backoff.constant", "backoff.fibo"]))
    options = [generator, draw(EXCEPTIONS)]
    options += draw(
        keywords(
            {
                "max_tries": SMALL,
                "max_time": NUMBERS,
                "jitter": st.sampled_from(["None", "backoff.full_jitter"]),
                "max_value": SMALL,
            }
        )
    )
    return f"@backoff.on_exception({draw(arguments(options))})\ndef backoff_{n}(url):\n{body()}"


@st.composite
def stamina_retry(draw: st.DrawFn, n: int) -> str:
    options = [f"on={draw(EXCEPTIONS)}"]
    options += draw(
        keywords(
            {
                "attempts": NUMBERS,
                "timeout": NUMBERS,
                "wait_initial": st.sampled_from(["0.1", "1", "0"]),
                "wait_max": st.sampled_from(["5", "60"]),
                "wait_jitter": st.sampled_from(["0", "1"]),
            }
        )
    )
    return f"@stamina.retry({draw(arguments(options))})\ndef stamina_{n}(url):\n{body()}"


@st.composite
def retrying_retry(draw: st.DrawFn, n: int) -> str:
    options = draw(
        keywords(
            {
                "stop_max_attempt_number": SMALL,
                "wait_fixed": st.sampled_from(["0", "1000", "5000"]),
                "wait_exponential_multiplier": st.sampled_from(["100", "1000"]),
                "wait_exponential_max": st.sampled_from(["10000", "600000"]),
            }
        )
    )
    head = "@retrying.retry\n" if not options else f"@retrying.retry({draw(arguments(options))})\n"
    return f"{head}def retrying_{n}(url):\n{body()}"


@st.composite
def retry_loop(draw: st.DrawFn, n: int) -> str:
    header = draw(
        st.sampled_from(
            [
                "while True:",
                # one attempt is no retry (a loop bounded at one pass is not a job)
                f"for attempt in range({draw(st.integers(min_value=2, max_value=40))}):",
                "while attempt < 5:",
            ]
        )
    )
    is_async = draw(st.booleans())
    sleep = draw(
        st.sampled_from(
            [
                "time.sleep(5)",
                "time.sleep(2 ** attempt)",
                "time.sleep(delay)",
                "sleep(1)",
                "pass",
                "continue",
            ]
        )
    )
    if is_async:
        sleep = sleep.replace("time.sleep", "await asyncio.sleep").replace(
            "sleep(1)", "await asyncio.sleep(1)"
        )
    setup = "    attempt = 0\n" if "attempt" in header and "for" not in header else ""
    if "delay" in sleep:
        setup += "    delay = 1\n"
    step = "            attempt += 1\n" if setup.startswith("    attempt") else ""
    grow = "            delay *= 2\n" if "delay" in sleep and draw(st.booleans()) else ""
    call = "await client.get(url)" if is_async else "requests.get(url, timeout=5)"
    return (
        f"{'async ' if is_async else ''}def loop_{n}(url):\n"
        f"{setup}"
        f"    {header}\n"
        "        try:\n"
        "            _ran()\n"
        f"            return {call}\n"
        f"        except {draw(EXCEPTIONS)}:\n"
        f"{step}{grow}"
        f"            {sleep}\n"
    )


@st.composite
def header(draw: st.DrawFn) -> tuple[str, str]:
    """The file's top (docstring, __future__, imports) and the tenacity import style."""
    style = draw(st.sampled_from(["from", "module"]))
    lines: list[str | None] = [
        "import asyncio",
        "import time",
        "from datetime import timedelta",
        "from time import sleep",
        "",
        "import arq",
        "import backoff",
        "import dramatiq",
        "import requests",
        "import retrying",
        "import stamina",
        "import tenacity" if style == "module" else None,
        "from celery import Celery, shared_task",
        "from huey import RedisHuey, crontab",
        "from redis import Redis",
        "from rq import Queue, Retry",
        "from taskiq import InMemoryBroker, SmartRetryMiddleware",
    ]
    if style == "from":
        lines.append(
            "from tenacity import (\n    Retrying,\n    retry,\n    retry_always,\n"
            "    retry_if_exception_type,\n    stop_after_attempt,\n    stop_after_delay,\n"
            "    stop_never,\n    wait_exponential,\n    wait_fixed,\n    wait_random,\n)"
        )
    top = draw(st.sampled_from(["", '"""Jobs."""\n\n', "from __future__ import annotations\n\n"]))
    imports = "\n".join(line for line in lines if line is not None)
    objects = (
        'app = Celery("fuzz")\n'
        'huey = RedisHuey("fuzz")\n'
        "queue = Queue(connection=Redis())\n"
        "client = None\n\n\n"
        "def should_retry(retries, exception):\n"
        "    return retries < _ran()\n"
    )
    return f"{top}{imports}\n\n{objects}\n\n{PLANT}", style


@st.composite
def job_program(draw: st.DrawFn) -> str:
    """A module of 1-6 jobs of any framework, with LF or CRLF line endings."""
    top, style = draw(header())
    snippets = [
        celery_task,
        rq_job,
        dramatiq_actor,
        huey_task,
        arq_job,
        taskiq_task,
        lambda n: tenacity_retry(n, style),
        backoff_retry,
        stamina_retry,
        retrying_retry,
        retry_loop,
    ]
    chosen = draw(st.lists(st.sampled_from(snippets), min_size=1, max_size=6))
    parts = [draw(make(n)) for n, make in enumerate(chosen)]
    source = top + "\n\n" + "\n\n".join(parts)
    newline = draw(st.sampled_from(["\n", "\n", "\n", "\r\n"]))
    return source.replace("\n", newline)
