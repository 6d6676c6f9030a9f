"""A task option's value with where it was written (``Option``), and the precedence Celery reads
options in (``OptionLayers``, verified on 5.7.0).

A room of its own: the app configuration (``config``) and the task's own keywords and attributes
(``jobs``) both make ``Option`` values, and ``policy`` reads them through the layers.

Decisions:

- The six autoretry-wrapper options read decorator keywords before the annotated class.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from retrylint.frameworks.celery.names import words
from retrylint.model import UNKNOWN, Source, Sourced, Span
from retrylint.project import ModuleFacts
from retrylint.values import CallValue, DictValue, Located, Ref, Value

# Read by the autoretry wrapper at registration from the decorator keywords first, then the
# class (celery/app/autoretry.py): for these a decorator keyword beats task_annotations.
WRAPPER_OPTIONS = words(
    "autoretry_for dont_autoretry_for retry_kwargs retry_backoff retry_backoff_max retry_jitter"
)


@dataclass(frozen=True)
class Option:
    """One resolved option value and where it was written."""

    value: Value
    source: Source
    origin: str
    span: Span | None
    path: str | None  # set when the value lives in another file than the job
    module: ModuleFacts  # for resolving names in the value
    located: Located | None = None

    def sourced(self, value: Any, origin: str | None = None) -> Sourced[Any]:
        return Sourced(value, self.source, origin or self.origin, self.span, self.path)


@dataclass
class OptionLayers:
    """A task's options by precedence (verified on Celery 5.7.0).

    task_annotations > decorator keywords > class attributes (own, then ``base=`` chain) for task
    attributes; but the autoretry wrapper reads its six options (``WRAPPER_OPTIONS``) from the
    decorator keywords first and only then from the (annotated) class, so there a decorator
    keyword beats an annotation. app.conf ``task_*`` settings only fill attributes left at None.
    """

    annotations: dict[str, Option]
    decorator: dict[str, Option]
    chain: dict[str, Option]
    wrapper_annotations: bool = True

    def get(self, name: str) -> Option | None:
        if name in WRAPPER_OPTIONS:
            order = [self.decorator]
            if self.wrapper_annotations:
                order.append(self.annotations)
            order.append(self.chain)
        else:
            order = [self.annotations, self.decorator, self.chain]
        for layer in order:
            if name in layer:
                return layer[name]
        return None

    def entry(self, option: str, key: str) -> Option | None:
        """``retry_kwargs['max_retries']``: the literal entry when the dict was written out."""
        found = self.get(option)
        if found is None:
            return None
        written = found.value
        if isinstance(written, CallValue) and written.func == "dict" and not written.args:
            written = DictValue(tuple(written.kwargs))  # dict(max_retries=5, countdown=10)
        if isinstance(written, DictValue) and written.get(key, _MISSING) is not _MISSING:
            layer_key = f"{option}.{key}"
            for layer in (self.decorator, self.annotations, self.chain):
                if layer.get(option) is found and layer_key in layer:
                    return layer[layer_key]
            return Option(
                written.get(key),
                found.source,
                f"{option}[{key!r}] in {found.origin}",
                found.span,
                found.path,
                found.module,
            )
        if not isinstance(written, DictValue) and written is not None:
            # retry_kwargs=<a name or call>: whatever it holds is not known statically
            return Option(UNKNOWN, found.source, found.origin, found.span, found.path, found.module)
        return None


_MISSING = Ref("<missing>")
