"""tenacity jobs anchored at a statement or a call rather than at a decorated function:

- ``for attempt in Retrying(...)`` / ``async for attempt in AsyncRetrying(...)`` (also through a
  name bound to the constructor in the same function or module): kind ``retry-block``, span at the
  ``for`` header, qualname ``<function>#retry-block@<line>``.
- ``Retrying(...)(fn, ...)``, ``r(fn)``, ``r.wraps(fn)``: kind ``decorated-function``, span at the
  call, qualname ``<function>#retry-call@<line>``; ``function`` is ``fn`` when it is defined here.
- ``fn.retry_with(...)`` on a decorated module-level function of the same file: a job of its own
  at the call (qualname ``<function>#retry-call@<line>``, ``function`` = ``fn``) with the
  decorator's options overridden by the call's; the decorator's job keeps its own policy, which
  still applies to plain calls.
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from retrylint.context import FileContext
from retrylint.frameworks.retry_library.jobs import (
    Bindings,
    block_qualname,
    loop_header,
    retry_loops,
    site_job,
    wrapped_job,
)
from retrylint.frameworks.retry_library.options import Options, bind_options, library_name
from retrylint.frameworks.tenacity.names import FRAMEWORK, POSITIONAL, RETRYING_CLASSES
from retrylint.frameworks.tenacity.policy import tenacity_policy
from retrylint.model import Job


def _is_retrying_call(ctx: FileContext, call: cst.Call) -> bool:
    name = library_name(ctx.qualify(call.func), FRAMEWORK)
    return name in RETRYING_CLASSES


def retry_blocks(ctx: FileContext, bindings: Bindings) -> Iterator[Job]:
    for loop, call in retry_loops(ctx, bindings):
        if not _is_retrying_call(ctx, call):
            continue
        options = bind_options(ctx, call, POSITIONAL)
        policy, hooks, details = tenacity_policy(options, ctx)
        span = loop_header(ctx, loop.node)  # type: ignore[arg-type]
        function = loop.function
        yield site_job(
            ctx,
            name=function.name if function else "<module>",
            qualname=block_qualname(function, "retry-block", span.line),
            framework=FRAMEWORK,
            kind="retry-block",
            span=span,
            function=function.qualname if function else None,
            policy=policy,
            hooks=hooks,
            details=(*details, ("policy_call", options.shape), ("block", ctx.span(loop.node))),
        )


def wrapped_calls(ctx: FileContext, bindings: Bindings) -> Iterator[Job]:
    """``Retrying(...)(fn)``, ``r(fn)``, ``r.wraps(fn)``: a function wrapped at a call."""
    for info in ctx.calls:
        node = info.node
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value == "wraps":
            constructor = bindings.call(func.value, info.function)
        elif isinstance(func, cst.Call | cst.Name):
            constructor = bindings.call(func, info.function)
        else:
            continue
        if constructor is None or not _is_retrying_call(ctx, constructor):
            continue
        wrapped = next((a.value for a in node.args if a.keyword is None and not a.star), None)
        if wrapped is None:
            continue
        options = bind_options(ctx, constructor, POSITIONAL)
        policy, hooks, details = tenacity_policy(options, ctx)
        yield wrapped_job(ctx, info.function, node, wrapped, FRAMEWORK, policy, hooks, details)


def retry_with_calls(ctx: FileContext, decorated: dict[str, tuple[Options, Job]]) -> Iterator[Job]:
    """``fn.retry_with(stop=...)(...)``: ``fn`` retried with the decorator's options overridden.

    A job of its own at the call (like ``Retrying(...)(fn)``), not a ``Job.policies`` entry: the
    decorator's policy still applies to every plain call of ``fn``.
    """
    for info in ctx.calls:
        func = info.node.func
        if not (isinstance(func, cst.Attribute) and func.attr.value == "retry_with"):
            continue
        target = ctx.qualify(func.value)
        if target not in decorated:
            continue
        options, base = decorated[target]
        merged = options.overridden(bind_options(ctx, info.node, POSITIONAL))
        policy, hooks, details = tenacity_policy(merged, ctx)
        span = ctx.span(info.node)
        yield site_job(
            ctx,
            name=base.name,
            qualname=block_qualname(info.function, "retry-call", span.line),
            framework=FRAMEWORK,
            kind="decorated-function",
            span=span,
            function=base.function,
            policy=policy,
            hooks=hooks,
            details=(*details, ("policy_call", merged.shape), ("retry_with_of", base.qualname)),
        )
