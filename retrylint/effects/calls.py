"""Which catalogue entry a call is, and the guard it carries at the call itself.

A call matches an entry by its dotted name (``stripe.Refund.create``), or by a method path on an
object the code built: ``client = SendGridAPIClient(key); client.send(message)``,
``with smtplib.SMTP(host) as smtp: smtp.sendmail(...)``, ``boto3.client("ses").send_email``,
``self.client = httpx.Client()`` in the class and ``self.client.post(...)`` in a method, a
parameter annotated ``client: httpx.AsyncClient``.

Guards at the call: the entry's keyword (``idempotency_key=``), a key in ``options={...}``, a
header in ``headers={...}`` (also a local dict built in the same function, or filled with
``headers["Idempotency-Key"] = ...``), a flag (``ignore_conflicts=True``). A key whose value is
new on every run (``uuid4()``, ``time.time()``) guards nothing: a retry gets a new key.

Decisions (conservative, so that what is reported can be trusted):

- ``**params`` holding a local dict written in the function is read like keywords; any other
  ``**`` spread, or an ``options=`` that is not a literal, may hold the key: the call is
  ``hidden`` and not reported.
- ``headers=`` built elsewhere (a parameter, a helper's result) rarely carries a key, but may:
  the effect is reported with that doubt said (medium confidence).
- A key passed in from a parameter (``idempotency_key=idempotency_key``) is a guard here: the
  caller decides, and a guard you can see beats a finding nobody trusts.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from retrylint.collector import nodes_within
from retrylint.context import FileContext, FunctionInfo
from retrylint.effects.catalogue import Catalogue, Entry, Receiver
from retrylint.effects.facts import Effect
from retrylint.frameworks.common import call_shape

# Calls whose result is new on every run: a key built from one protects nothing.
_FRESH = frozenset(
    {
        "uuid.uuid1",
        "uuid.uuid4",
        "secrets.token_hex",
        "secrets.token_urlsafe",
        "secrets.token_bytes",
        "os.urandom",
        "time.time",
        "time.time_ns",
        "time.monotonic",
        "datetime.datetime.now",
        "datetime.datetime.utcnow",
        "django.utils.timezone.now",
    }
)


@dataclass(frozen=True)
class Binding:
    """What a name holds: the object a call built (``constructor`` as qualified in the file)."""

    constructor: str
    argument: str | None = None  # the first positional argument, when a string literal
    built: bool = True  # False for an annotated parameter: of that type, not new here


@dataclass(frozen=True)
class Match:
    entry: Entry
    effect: bool  # False: a network call (a read, a request whose verb is not a write)
    receiver: Binding | None = None
    receiver_text: str | None = None
    deferred: Receiver | None = None  # subclass_of to check in the project
    instance: str | None = None  # an object imported from another module, checked there


class Bindings:
    """Names bound to objects built by a call, in one file: locals of each function, ``with``
    targets, annotated parameters, ``self.<attribute>`` set in a class's methods, module names."""

    def __init__(self, ctx: FileContext, withs: list[tuple[FunctionInfo, str, cst.Call]]) -> None:
        self.ctx = ctx
        self.local: dict[int, dict[str, Binding]] = {}
        self.attributes: dict[str, dict[str, Binding]] = {}
        self.module: dict[str, Binding] = {}
        for assignment in ctx.assignments:
            binding = self._built(assignment.value)
            if binding is None:
                continue
            for target in assignment.targets:
                function = assignment.function
                if function is None:
                    if isinstance(target, cst.Name) and assignment.class_name is None:
                        self.module[target.value] = binding
                elif isinstance(target, cst.Name):
                    self.local.setdefault(id(function), {})[target.value] = binding
                elif _is_self_attribute(target) and function.class_name is not None:
                    attribute = target.attr.value  # type: ignore[attr-defined]
                    self.attributes.setdefault(function.class_name, {})[attribute] = binding
        for function, name, call in withs:
            binding = self._built(call)
            if binding is not None:
                self.local.setdefault(id(function), {})[name] = binding
        for function in ctx.functions:
            for param in (*function.node.params.params, *function.node.params.kwonly_params):
                if param.annotation is None:
                    continue
                annotation = _unquoted(param.annotation.annotation)
                qualified = ctx.qualify(annotation) if annotation is not None else None
                if qualified is not None:
                    local = self.local.setdefault(id(function), {})
                    local.setdefault(param.name.value, Binding(qualified, built=False))

    def _built(self, value: cst.BaseExpression) -> Binding | None:
        if isinstance(value, cst.Await):
            value = value.expression
        if not isinstance(value, cst.Call):
            return None
        constructor = self.ctx.qualify(value.func)
        if constructor is None:
            return None
        first = value.args[0] if value.args else None
        argument = None
        if first is not None and first.keyword is None and not first.star:
            evaluated = self.ctx.evaluate(first.value)
            argument = evaluated if isinstance(evaluated, str) else None
        return Binding(constructor, argument)

    def callees(self, function: FunctionInfo) -> dict[str, str]:
        """Local name -> what built it, as the call graph writes calls on it."""
        return {name: b.constructor for name, b in self.local.get(id(function), {}).items()}

    def receiver(
        self, func: cst.BaseExpression, function: FunctionInfo
    ) -> tuple[Binding | None, str, str] | None:
        """(what the receiver was built by, the method path after it, the receiver as written)
        for ``<receiver>.<path>``; None when ``func`` is not an attribute call."""
        if not isinstance(func, cst.Attribute):
            return None
        attributes: list[str] = []
        base: cst.BaseExpression = func
        while isinstance(base, cst.Attribute):
            attributes.insert(0, base.attr.value)
            base = base.value
        text = self.ctx.code(func.value)
        if isinstance(base, cst.Call):
            return self._built(base), ".".join(attributes), text
        if not isinstance(base, cst.Name):
            return None, ".".join(attributes), text
        name = base.value
        scope: FunctionInfo | None = function
        while scope is not None:
            found = self.local.get(id(scope), {}).get(name)
            if found is not None:
                return found, ".".join(attributes), text
            scope = scope.parent
        if name in ("self", "cls") and function.class_name is not None and len(attributes) > 1:
            owner = _method_owner(function)
            found = self.attributes.get(owner or "", {}).get(attributes[0])
            if found is not None:
                return found, ".".join(attributes[1:]), text
        if name in self.module and name not in self.ctx.imports:
            return self.module[name], ".".join(attributes), text
        return None, ".".join(attributes), text


def _method_owner(function: FunctionInfo) -> str | None:
    while function.parent is not None:
        function = function.parent
    return function.class_name


def _unquoted(node: cst.BaseExpression) -> cst.BaseExpression | None:
    if isinstance(node, cst.SimpleString):
        try:
            return cst.parse_expression(node.evaluated_value)  # type: ignore[arg-type]
        except Exception:
            return None
    return node


def _is_self_attribute(target: cst.BaseExpression) -> bool:
    return (
        isinstance(target, cst.Attribute)
        and isinstance(target.value, cst.Name)
        and target.value.value == "self"
    )


def match_call(
    ctx: FileContext,
    catalogue: Catalogue,
    bindings: Bindings,
    node: cst.Call,
    function: FunctionInfo,
) -> Match | None:
    """The catalogue entry ``node`` is (an effect or a network call), if any."""
    name = ctx.qualify(node.func)
    receiver = bindings.receiver(node.func, function)
    deferred: Match | None = None  # a project subclass, checked in the project: a last resort
    for entry in catalogue.entries:
        if entry.reads and _reads(ctx, entry, node, function):
            continue
        if name is not None and entry.calls is not None and entry.calls.fullmatch(name):
            return _classified(ctx, entry, node, name.rsplit(".", 1)[-1])
        if receiver is None:
            continue
        binding, path, text = receiver
        for method in entry.methods:
            if not method.call.fullmatch(path):
                continue
            if binding is not None and binding.constructor in method.of:
                if method.arg and binding.argument not in method.arg:
                    continue
                found = _classified(ctx, entry, node, path.rsplit(".", 1)[-1])
                return Match(found.entry, found.effect, binding, text)
            if method.names is not None and method.names.fullmatch(text):
                found = _classified(ctx, entry, node, path.rsplit(".", 1)[-1])
                return Match(found.entry, found.effect, binding, text)
            if binding is not None and binding.built and method.subclass_of and "." not in path:
                deferred = deferred or Match(entry, True, binding, text, deferred=method)
            imported = _imported_head(ctx, node.func) if binding is None else None
            last = path.rsplit(".", 1)[-1]
            if imported is not None and method.of and not method.arg:
                found = _classified(ctx, entry, node, last)
                if found.effect and last not in catalogue.enqueue_methods:
                    instance = Match(found.entry, True, None, text, method, imported)
                    deferred = deferred or instance
    return deferred


def _reads(ctx: FileContext, entry: Entry, node: cst.Call, function: FunctionInfo) -> bool:
    """A write that only reads: its URL (first argument or ``url=``) or its function's name
    says a token, a login, a search (``get_access_token``)."""
    url = next(
        (a.value for a in node.args if a.keyword is not None and a.keyword.value == "url"),
        node.args[0].value if node.args and node.args[0].keyword is None else None,
    )
    said = f"{ctx.code(url) if url is not None else ''} {function.name}".lower()
    return any(word in said for word in entry.reads)


def _imported_head(ctx: FileContext, func: cst.BaseExpression) -> str | None:
    """``app.http.client`` for ``client.post(...)`` after ``from app.http import client``."""
    base = func
    while isinstance(base, cst.Attribute):
        base = base.value
    if isinstance(base, cst.Name) and base.value in ctx.imports:
        return ctx.imports[base.value]
    return None


def _classified(ctx: FileContext, entry: Entry, node: cst.Call, method: str) -> Match:
    """An effect, or a network call when a generic request method's verb is not a write."""
    verb = entry.verb
    if verb is None or method not in verb.methods:
        return Match(entry, entry.is_effect)
    value = None
    for position, arg in enumerate(node.args):
        named = arg.keyword is not None and arg.keyword.value == verb.keyword
        if named or (arg.keyword is None and not arg.star and position == verb.position):
            value = ctx.evaluate(arg.value)
    written = isinstance(value, str) and value.upper() in verb.writes
    return Match(entry, entry.is_effect and written)


def effect_of(
    ctx: FileContext,
    match: Match,
    node: cst.Call,
    function: FunctionInfo,
) -> Effect:
    """The effect a matched call performs, with the guard it carries (or lacks)."""
    entry = match.entry
    guard, fresh, hidden = _call_guard(ctx, entry, node, function)
    fix = entry.fix if guard is None and hidden is None else None
    guard_name = None
    if fix == "keyword":
        guard_name = entry.guard.keyword[0]
    elif fix == "option":
        guard_name = entry.guard.option[0]
        if any(a.keyword is not None and a.keyword.value == "options" for a in node.args):
            fix = None  # an options dict is there already: merging into it is left to a person
    deferred = match.deferred
    doubt = None
    if entry.guard.header and guard is None and hidden is None:
        doubt = headers_unseen(ctx, node, function)
    return Effect(
        entry=entry.name,
        provider=entry.provider,
        klass=entry.klass,
        kind=entry.kind,
        raises=entry.raises,
        guard=guard,
        fresh=fresh,
        hidden=hidden,
        doubt=doubt,
        offers=_offers(entry),
        fix=fix,
        guard_name=guard_name,
        shape=call_shape(ctx, node) if fix else None,
        subclass_of=deferred.subclass_of if deferred and not match.instance else frozenset(),
        constructor=match.receiver.constructor if deferred and match.receiver else None,
        instance=match.instance,
        instance_of=deferred.of if deferred and match.instance else frozenset(),
    )


def _offers(entry: Entry) -> str | None:
    """The key the provider takes, as a reader would write it."""
    spec = entry.guard
    if spec.keyword:
        return f"{spec.keyword[0]}="
    if spec.option:
        return f'options={{"{spec.option[0]}": ...}}'
    if spec.key:
        return f'"{spec.key[0]}"'
    if spec.header:
        return f"an {spec.header[0]} header"
    return None


def _call_guard(
    ctx: FileContext, entry: Entry, node: cst.Call, function: FunctionInfo
) -> tuple[str | None, str | None, str | None]:
    """(guard, fresh key, hidden) at the call: why it is safe, a key that changes every run,
    or where a guard may hide."""
    spec = entry.guard
    keywords = {a.keyword.value: a.value for a in node.args if a.keyword is not None}
    spreads = [a.value for a in node.args if a.star == "**"]
    for spread in spreads:
        local = _local_dict(ctx, spread, function)
        if local is None:
            if spec.exists:
                return None, None, f"**{ctx.code(spread)} may carry the key"
            continue
        for key, value in local.items():
            keywords.setdefault(key, value)
    for name in spec.keyword:
        given = keywords.get(name)
        if given is None or _is_none(given):
            continue
        fresh = _fresh(ctx, given, function)
        if fresh is not None:
            return None, f"{name}={fresh}", None
        return f"{name}={short(ctx.code(given))}", None, None
    for name in spec.flag:
        flag = keywords.get(name)
        if flag is not None and ctx.evaluate(flag) is not False and not _is_none(flag):
            return f"{name}={short(ctx.code(flag))}", None, None
    for name in spec.maybe:
        if name in keywords:
            return None, None, f"{name}= (a FIFO queue may deduplicate by content)"
    if spec.option:
        options = keywords.get("options")
        if options is not None:
            found = _local_dict(ctx, options, function)
            if found is None:
                return None, None, f"options={short(ctx.code(options))} may carry the key"
            for name in spec.option:
                if name in found:
                    return f'options["{name}"]', None, None
        for arg in node.args[1:2]:  # resend.Emails.send(params, options)
            if arg.keyword is None and not arg.star:
                found = _local_dict(ctx, arg.value, function) or {}
                for name in spec.option:
                    if name in found:
                        return f'options["{name}"]', None, None
    if spec.key:
        for key in _dict_keys_in(ctx, node, function):
            if key in spec.key:
                return f'"{key}"', None, None
    if spec.header:
        headers = keywords.get("headers")
        if headers is not None:
            found = _local_dict(ctx, headers, function)
            if found is None:
                return None, None, None
            wanted = {name.lower() for name in spec.header}
            for key in found:
                if key.lower() in wanted:
                    return f'headers["{key}"]', None, None
            for key, value in found.items():  # a delivery id made afresh on every run
                fresh = _fresh(ctx, value, function)
                if fresh is not None:
                    return None, f'headers["{key}"]={fresh}', None
    return None, None, None


def headers_unseen(ctx: FileContext, node: cst.Call, function: FunctionInfo) -> str | None:
    """``headers=<something built elsewhere>``: the doubt a finding should say."""
    for arg in node.args:
        named = arg.keyword is not None and arg.keyword.value == "headers"
        if named and _local_dict(ctx, arg.value, function) is None:
            return f"headers={short(ctx.code(arg.value))} are built elsewhere"
    return None


def _local_dict(
    ctx: FileContext, node: cst.BaseExpression, function: FunctionInfo
) -> dict[str, cst.BaseExpression] | None:
    """The string keys of a dict literal, or of a local name bound to one in ``function`` (with
    ``name["key"] = ...`` assignments added); None when it is built elsewhere."""
    if isinstance(node, cst.Dict):
        return _literal_keys(ctx, node)
    if isinstance(node, cst.Call) and ctx.qualify(node.func) == "dict":
        return {a.keyword.value: a.value for a in node.args if a.keyword is not None}
    if not isinstance(node, cst.Name):
        return None
    found: dict[str, cst.BaseExpression] | None = None
    for assignment in ctx.assignments:
        if assignment.function is not function:
            continue
        for target in assignment.targets:
            if isinstance(target, cst.Name) and target.value == node.value:
                value = assignment.value
                if isinstance(value, cst.Dict):
                    found = {**(found or {}), **_literal_keys(ctx, value)}
                elif isinstance(value, cst.Call) and ctx.qualify(value.func) == "dict":
                    found = {**(found or {}), **_local_dict(ctx, value, function)}  # type: ignore[dict-item]
                else:
                    return None
            elif (
                isinstance(target, cst.Subscript)
                and isinstance(target.value, cst.Name)
                and target.value.value == node.value
                and len(target.slice) == 1
                and isinstance(target.slice[0].slice, cst.Index)
            ):
                key = ctx.evaluate(target.slice[0].slice.value)
                if isinstance(key, str):
                    found = {**(found or {}), key: assignment.value}
    return found


def _literal_keys(ctx: FileContext, node: cst.Dict) -> dict[str, cst.BaseExpression]:
    keys: dict[str, cst.BaseExpression] = {}
    for element in node.elements:
        if isinstance(element, cst.DictElement):
            key = ctx.evaluate(element.key)
            if isinstance(key, str):
                keys[key] = element.value
    return keys


def _dict_keys_in(ctx: FileContext, node: cst.Call, function: FunctionInfo) -> set[str]:
    """Keys of every dict an argument holds or is (also inside lists: SQS batch entries)."""
    keys: set[str] = set()
    for arg in node.args:
        value = arg.value
        local = _local_dict(ctx, value, function) if isinstance(value, cst.Name) else None
        if local is not None:
            keys.update(local)
        for found in nodes_within(value, cst.Dict):
            keys.update(_literal_keys(ctx, found))
    return keys


def _fresh(ctx: FileContext, value: cst.BaseExpression, function: FunctionInfo) -> str | None:
    """The code of a key that is new on every run, or None."""
    if isinstance(value, cst.Name):
        for assignment in ctx.assignments:
            if (
                assignment.function is function
                and any(
                    isinstance(t, cst.Name) and t.value == value.value for t in assignment.targets
                )
                and _makes_fresh(ctx, assignment.value)
            ):
                return f"{value.value} ({short(ctx.code(assignment.value))})"
        return None
    return short(ctx.code(value)) if _makes_fresh(ctx, value) else None


def _makes_fresh(ctx: FileContext, value: cst.BaseExpression) -> bool:
    for call in nodes_within(value, cst.Call):
        name = ctx.qualify(call.func)
        if name in _FRESH or (name or "").startswith("random."):
            return True
    return False


def _is_none(value: cst.BaseExpression) -> bool:
    return isinstance(value, cst.Name) and value.value == "None"


def short(code: str, limit: int = 60) -> str:
    code = " ".join(code.split())
    return code if len(code) <= limit else code[: limit - 3] + "..."


def _new_instance(
    ctx: FileContext, bindings: Bindings, node: cst.BaseExpression, function: FunctionInfo
) -> bool:
    """A constructor call (``Invoice(...)``), or a local bound to one."""
    if isinstance(node, cst.Call):
        name = ctx.qualify(node.func)
        return bool(name) and name.rsplit(".", 1)[-1][:1].isupper()  # type: ignore[union-attr]
    if isinstance(node, cst.Name):
        found = bindings.receiver(cst.Attribute(node, cst.Name("x")), function)
        binding = found[0] if found else None
        return (
            binding is not None
            and binding.built
            and binding.constructor.rsplit(".", 1)[-1][:1].isupper()
        )
    return False


def adds_new_row(
    ctx: FileContext, bindings: Bindings, node: cst.Call, function: FunctionInfo
) -> bool:
    """``session.add(Invoice(...))`` / ``add_all([Row(...), ...])``: an insert, not an update of
    a row the job loaded."""
    first = node.args[0].value if node.args and node.args[0].keyword is None else None
    if isinstance(first, cst.List | cst.Tuple):
        return any(_new_instance(ctx, bindings, e.value, function) for e in first.elements)
    if isinstance(first, cst.ListComp | cst.GeneratorExp):
        return _new_instance(ctx, bindings, first.elt, function)
    return first is not None and _new_instance(ctx, bindings, first, function)


def record_name(
    ctx: FileContext, bindings: Bindings, match: Match, node: cst.Call, function: FunctionInfo
) -> str | None:
    """The model a database effect writes: ``OrderEvent`` in ``OrderEvent.objects.create``."""
    name = ctx.qualify(node.func) or ""
    if ".objects." in name:
        return name.split(".objects.", 1)[0].rsplit(".", 1)[-1]
    if match.receiver is not None and match.entry.needs != "commit":
        return str(match.receiver.constructor).rsplit(".", 1)[-1]
    first = node.args[0].value if node.args else None
    if isinstance(first, cst.Call):
        return (ctx.qualify(first.func) or "").rsplit(".", 1)[-1] or None
    if isinstance(first, cst.Name):
        found = bindings.receiver(cst.Attribute(first, cst.Name("x")), function)
        return found[0].constructor.rsplit(".", 1)[-1] if found and found[0] else None
    return None
