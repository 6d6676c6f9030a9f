"""Which secrets an expression carries: the names, keys and labels that say a value is one.

``leaves`` looks through what keeps a value intact -- f-strings, ``%`` and ``.format()``,
concatenation, containers, plain wrappers (``str()``, ``json.dumps()``, ``.strip()``) -- down
to the references it is built from. Any other call (``len(token)``, ``mask(token)``,
``hash_password(pw)``) is a leaf of its own: its result is something else, unless it reads a
key (``environ.get("API_TOKEN")``) or is a getter named for a secret (``get_api_key()``).

``ValueReader`` then judges each leaf by what it is called where the code shows it: a name or
attribute (``api_token``, ``settings.STRIPE_SECRET_KEY``, ``creds.password``), the key it is
read with (``os.environ["API_TOKEN"]``), the keys of a dict built with it
(``{"Authorization": f"Bearer {token}"}``, ``dict(password=pw)``), or the label a template puts
right before it (``"token=%s"``).

One step of local data flow: a local name that is not itself secret-named is judged by what it
was bound to in the same function (``headers = {"Authorization": ...}`` then
``log.info(headers)``); a value bound in turn to another local is not followed further.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Literal

import libcst as cst

from retrylint.context import FileContext, FunctionInfo
from retrylint.secrets.names import NameMatch, NameMatcher, words_of

_MAX_DEPTH = 10
# Calls whose result still holds their arguments (or, for methods, their receiver).
_PASS_FUNCTIONS = frozenset(
    {"str", "repr", "format", "bytes", "dict", "list", "tuple", "sorted", "vars", "dumps",
     "pformat", "b64encode", "urlsafe_b64encode", "standard_b64encode", "quote", "quote_plus",
     "urlencode"}
)  # fmt: skip
_PASS_METHODS = frozenset(
    {"strip", "rstrip", "lstrip", "decode", "encode", "lower", "upper", "items", "values",
     "copy", "dict", "model_dump", "to_dict", "as_dict", "get_secret_value"}
)  # fmt: skip
# Reads by key: the key names the value (``environ.get("API_TOKEN")``, ``config("SECRET")``).
_KEYED_READS = frozenset({"get", "pop", "getenv", "getlist", "config", "env"})
# Calls whose result is plainly not the value they are given.
_NOT_VALUES = frozenset({"len", "bool", "int", "float", "type", "id", "hash", "isinstance"})
# Translation calls: a dict value or keyword given as _("...") is a message, not a secret.
_MESSAGES = frozenset(
    {"_", "gettext", "gettext_lazy", "ugettext", "ugettext_lazy", "pgettext", "ngettext",
     "lazy_gettext", "_lazy"}
)  # fmt: skip
_PERCENT = re.compile(r"%(?:\((?P<key>\w+)\))?[-#0 +]*(?:\d+|\*)?(?:\.\d+)?[sdrifgeExXoc%]")
_BRACES = re.compile(r"\{\{|\}\}|\{(?P<field>[^{}]*)\}")
_LABEL = re.compile(r"(?P<label>[A-Za-z][\w.\- ]{0,40}?\w)[\s:=\"'(\[]*$")

# A literal naming a setting, not holding one: "api_token.jwt.encode.secret", "SECRET_KEY".
_DOTTED_NAME = re.compile(r"[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)+|[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+")

_STRINGS = (cst.SimpleString, cst.ConcatenatedString)

LeafKind = Literal["ref", "key", "keyword"]


@dataclass(frozen=True)
class Leaf:
    """What a value is built from: a reference (name, attribute, subscript, opaque call), or a
    dict key / keyword argument naming the value next to it."""

    kind: LeafKind
    node: cst.CSTNode  # the reference; the DictElement or Arg for keys and keywords
    name: str | None = None  # the key or keyword
    value: cst.BaseExpression | None = None  # the value a key or keyword names
    label: str | None = None  # template text right before a reference


def leaves(node: cst.BaseExpression, label: str | None = None, depth: int = 0) -> Iterator[Leaf]:
    """The references ``node`` is built from, looking through what keeps a value intact."""
    if depth > _MAX_DEPTH:
        return
    deeper = depth + 1
    match node:
        case cst.Name(value="None" | "True" | "False"):
            return
        case cst.Name() | cst.Attribute() | cst.Subscript():
            yield Leaf("ref", node, label=label)
        case cst.Call():
            yield from _call_leaves(node, label, deeper)
        case cst.FormattedString(parts=parts):
            text = ""
            for part in parts:
                if isinstance(part, cst.FormattedStringText):
                    text += part.value
                elif isinstance(part, cst.FormattedStringExpression):
                    yield from leaves(part.expression, text, deeper)
                    text = ""
        case cst.BinaryOperation(
            operator=cst.Modulo(), left=cst.SimpleString() | cst.ConcatenatedString() as template
        ):
            right = node.right
            if isinstance(right, cst.Dict):
                yield from leaves(right, None, deeper)
                return
            values = [e.value for e in right.elements] if isinstance(right, cst.Tuple) else [right]
            labels = percent_labels(template)
            for index, value in enumerate(values):
                yield from leaves(value, labels[index] if index < len(labels) else None, deeper)
        case cst.BinaryOperation(left=left, right=right):
            yield from leaves(left, None, deeper)
            prefix = left.evaluated_value if isinstance(left, _STRINGS) else None
            yield from leaves(right, prefix if isinstance(prefix, str) else None, deeper)
        case cst.Dict(elements=elements):
            for element in elements:
                if isinstance(element, cst.DictElement) and isinstance(
                    element.key, cst.SimpleString
                ):
                    key = element.key.evaluated_value
                    if isinstance(key, str):
                        yield Leaf("key", element, name=key, value=element.value)
                yield from leaves(element.value, None, deeper)
        case cst.Tuple(elements=items) | cst.List(elements=items) | cst.Set(elements=items):
            for item in items:
                yield from leaves(item.value, None, deeper)
        case cst.Await(expression=inner) | cst.NamedExpr(value=inner):
            yield from leaves(inner, label, deeper)
        case cst.IfExp(body=body, orelse=orelse):
            yield from leaves(body, label, deeper)
            yield from leaves(orelse, label, deeper)
        case cst.BooleanOperation(left=left, right=right):
            yield from leaves(left, label, deeper)
            yield from leaves(right, label, deeper)
        case cst.ConcatenatedString(left=left, right=right):
            yield from leaves(left, None, deeper)
            yield from leaves(right, None, deeper)


def _call_leaves(node: cst.Call, label: str | None, depth: int) -> Iterator[Leaf]:
    func = node.func
    name = func.value if isinstance(func, cst.Name) else None
    method = func.attr.value if isinstance(func, cst.Attribute) else None
    if method == "format" and isinstance(func, cst.Attribute):
        if isinstance(func.value, _STRINGS):
            text = func.value.evaluated_value
            labels = brace_labels(text) if isinstance(text, str) else []
            yield from _argument_leaves(node.args, labels, depth)
        return
    if (name or "") in _PASS_FUNCTIONS or (
        method in _PASS_FUNCTIONS and method not in ("str", "format")
    ):
        yield from _argument_leaves(node.args, [], depth)
        return
    if method in _PASS_METHODS and isinstance(func, cst.Attribute):
        yield from leaves(func.value, label, depth)
        return
    if (name or method) not in _NOT_VALUES:
        yield Leaf("ref", node, label=label)


def _argument_leaves(args: Sequence[cst.Arg], labels: list[str], depth: int) -> Iterator[Leaf]:
    position = 0
    for arg in args:
        if arg.keyword is not None:
            yield Leaf("keyword", arg, name=arg.keyword.value, value=arg.value)
            yield from leaves(arg.value, None, depth)
            continue
        label = labels[position] if position < len(labels) and not arg.star else None
        yield from leaves(arg.value, label, depth)
        position += 1


@dataclass(frozen=True)
class Evidence:
    """One reason a value is a secret, and the node that shows it (the finding's place)."""

    name: str  # as written: api_token, settings.API_KEY, Authorization, get_token()
    kind: str  # name, attribute, key, keyword, call, label
    match: NameMatch
    node: cst.CSTNode
    via: str | None = None  # the local the value went through
    via_node: cst.CSTNode | None = None  # that local's binding

    def describe(self, via_line: int | None = None) -> str:
        """How a message names it: `api_token`, the key "Authorization", ...; through a local:
        `headers` (set at line 12 with the key "Authorization")."""
        match self.kind:
            case "key":
                own = f'the key "{self.name}"'
            case "keyword" if isinstance(self.node, cst.Arg):
                own = f"`{self.name}={_code(self.node.value)}`"
                if isinstance(self.node.value, cst.SimpleString):
                    own += " (written into the code)"
            case "label":
                own = f'a value logged after the label "{self.name}"'
            case _:
                own = f"`{self.name}`"
        if self.via is None:
            return own
        where = f" at line {via_line}" if via_line else ""
        return f"`{self.via}` (set{where} from {own})"


class ValueReader:
    """Reads the expressions of one file for secrets, with one step of local data flow."""

    def __init__(self, ctx: FileContext, matcher: NameMatcher) -> None:
        self.ctx = ctx
        self.matcher = matcher
        modules = {target.split(".", 1)[0] for target in ctx.imports.values()}
        self.lexer = bool(modules & matcher.vocabulary.token_modules)
        self._bindings: dict[int, dict[str, list[tuple[cst.BaseExpression, cst.CSTNode]]]] = {}
        self._definitions = {f.name for f in ctx.functions if f.is_module_level}
        self._definitions.update(info.name for info in ctx.classes.values())

    def match(self, name: str) -> NameMatch | None:
        return self.matcher.match(name, lexer=self.lexer)

    def evidence(
        self,
        node: cst.BaseExpression,
        function: FunctionInfo | None,
        *,
        flow: bool = True,
        label: str | None = None,
        about: str | None = None,
    ) -> list[Evidence]:
        """Every reason ``node`` holds a secret, first the ones closest to the surface.

        ``label``: the template text written right before it; ``about``: what the sink says it
        is about (an exception's class name). Keys count only without ``about``: the keys of
        ``raise ValidationError({"password": ...})`` are form fields.
        """
        found: list[Evidence] = []
        for leaf in leaves(node, label):
            if leaf.kind == "key" and about is not None:
                continue
            for evidence in self._leaf(leaf, function, flow):
                if not _identifies_owner(evidence, leaf.label, about):
                    found.append(evidence)
        return found

    def keyword(self, name: str, value: cst.BaseExpression, node: cst.CSTNode) -> Evidence | None:
        """``password=...`` at a call: the keyword names the value unless the value plainly is
        something else (None, a number, an empty string, ``token_id``, ``len(token)``)."""
        found = self.match(name)
        if found is None or self.plainly_not_secret(value):
            return None
        return Evidence(name, "keyword", found, node)

    def plainly_not_secret(self, value: cst.BaseExpression) -> bool:
        match value:
            case cst.Name(value="None" | "True" | "False"):
                return True
            case cst.Integer() | cst.Float() | cst.Imaginary():
                return True
            case cst.SimpleString() | cst.ConcatenatedString():
                text = value.evaluated_value
                return (
                    not isinstance(text, str)
                    or not text.strip("*x?. ")
                    or text.isdigit()
                    or _DOTTED_NAME.fullmatch(text) is not None
                )
            case cst.Comparison() | cst.UnaryOperation(operator=cst.Not()):
                return True
            case cst.Call(func=cst.Name(value=name)) if name in _NOT_VALUES | _MESSAGES:
                return True
            case cst.Name() | cst.Attribute():
                name = value.value if isinstance(value, cst.Name) else value.attr.value
                return self.matcher.is_metadata(name)
        return False

    def _leaf(self, leaf: Leaf, function: FunctionInfo | None, flow: bool) -> list[Evidence]:
        if leaf.kind == "key":
            assert leaf.name is not None and leaf.value is not None
            found = self.match(leaf.name)
            if (
                found is None
                or not _holds_a_value(leaf.value)
                or self.plainly_not_secret(leaf.value)
            ):
                return []
            return [Evidence(leaf.name, "key", found, leaf.node)]
        if leaf.kind == "keyword":
            assert leaf.name is not None and leaf.value is not None
            evidence = self.keyword(leaf.name, leaf.value, leaf.node)
            return [evidence] if evidence else []
        own = self._reference(leaf.node, function, flow)
        if own or leaf.label is None:
            return own
        return self._label(leaf.label, leaf.node)

    def _reference(
        self, node: cst.CSTNode, function: FunctionInfo | None, flow: bool
    ) -> list[Evidence]:
        match node:
            case cst.Name(value=name):
                return self._name(node, name, function, flow)
            case cst.Attribute(attr=cst.Name(value=name)):
                found = self.match(name)
                if found is None or self.matcher.is_excepted(f"{_last_name(node.value)}.{name}"):
                    return []
                return [Evidence(_short(self.ctx, node), "attribute", found, node)]
            case cst.Subscript():
                key = _string_index(node)
                found = self.match(key) if key is not None and not _catalogue(node) else None
                return [Evidence(_short(self.ctx, node), "subscript", found, node)] if found else []
            case cst.Call():
                return self._call(node)
        return []

    def _name(
        self, node: cst.Name, name: str, function: FunctionInfo | None, flow: bool
    ) -> list[Evidence]:
        local = self._locals(function)
        if name in self._definitions and name not in local:
            return []  # a function or class of this module, passed by reference
        found = self.match(name)
        if found is not None:
            if _flag_parameter(function, name) or self._bound_to_nothing(function, name):
                return []
            return [Evidence(name, "name", found, node)]
        if not flow:
            return []
        evidence: list[Evidence] = []
        for value, statement in local.get(name, ()):
            for item in self.evidence(value, function, flow=False):
                evidence.append(replace(item, via=name, via_node=statement, node=node))
        return evidence

    def _call(self, node: cst.Call) -> list[Evidence]:
        func = node.func
        called = (
            func.value if isinstance(func, cst.Name) else func.attr.value
            if isinstance(func, cst.Attribute) else ""
        )  # fmt: skip
        key = _read_key(called, node)
        if key is not None:
            found = self.match(key)
            return [Evidence(_short(self.ctx, node), "subscript", found, node)] if found else []
        if called and self.matcher.is_getter(called):
            found = self.match(called)
            return [Evidence(f"{called}()", "call", found, node)] if found else []
        return []

    def _label(self, text: str, node: cst.CSTNode) -> list[Evidence]:
        """A value written right after a label that names a secret (``"token: %s"``).

        Only a reference with a vague name counts (``value``, ``t``, ``resp``, ``data[0]``):
        a value named for something else (``email``, ``user_id``) is what the message is about,
        and the label is context ("no user found for forgot password: %s"). The label must end
        with the secret word ("token for %s" is about someone).
        """
        if not _vague(node):
            return []
        found = _LABEL.search(text)
        if found is None:
            return []
        label = found.group("label").strip()
        match = self.match(label)
        if match is None or words_of(label)[-len(match.words) :] != match.words:
            return []
        return [Evidence(label, "label", match, node)]

    def _bound_to_nothing(self, function: FunctionInfo | None, name: str) -> bool:
        """``empty_password = ""`` (or None, or a number), and nothing else bound to the name in
        its function, or at module level when it is not a local."""
        values = self.bound_to(function, name)
        if not values and name in self.ctx.constants:
            values = [self.ctx.constants[name]]
        return bool(values) and all(self.plainly_not_secret(value) for value in values)

    def bound_to(self, function: FunctionInfo | None, name: str) -> list[cst.BaseExpression]:
        """What the local ``name`` of ``function`` is bound to (every binding)."""
        return [value for value, _ in self._locals(function).get(name, ())]

    def _locals(
        self, function: FunctionInfo | None
    ) -> dict[str, list[tuple[cst.BaseExpression, cst.CSTNode]]]:
        """Locals of ``function`` and what they are bound to: ``x = v``, ``x["k"] = v``."""
        if function is None:
            return {}
        found = self._bindings.get(id(function))
        if found is None:
            found = {}
            for assignment in self.ctx.assignments:
                if assignment.function is not function:
                    continue
                for target in assignment.targets:
                    for name, value in _bound(target, assignment.value):
                        found.setdefault(name, []).append((value, assignment.statement))
            self._bindings[id(function)] = found
        return found


# Names that say nothing about what a value is: a label before one tells what it holds.
_VAGUE_WORDS = frozenset(
    {"value", "val", "result", "res", "data", "item", "arg", "args", "out", "output", "string",
     "str", "text", "content", "body", "raw", "resp", "response", "key", "new", "old",
     "current", "tmp", "temp", "obj", "it", "ret"}
)  # fmt: skip


# Exceptions: "cannot decode token: %s" % e logs the error, not the token.
_ERRORS = frozenset({"e", "ex", "exc", "err", "error", "exception"})


def _vague(node: cst.CSTNode) -> bool:
    match node:
        case cst.Subscript():
            return _string_index(node) is None and not _sliced(node)
        case cst.Name(value=name) | cst.Attribute(attr=cst.Name(value=name)):
            if name in _ERRORS:
                return False
            words = words_of(name)
            return len(name.strip("_")) <= 2 or (bool(words) and set(words) <= _VAGUE_WORDS)
    return False


def _sliced(node: cst.Subscript) -> bool:
    """``token[:10]``: a prefix, the usual way to mask a value in a log."""
    return any(isinstance(element.slice, cst.Slice) for element in node.slice)


# A mapping named like these holds codes or messages about things, keyed by their names:
# ERROR_CODES["PASSWORD_TOO_WEAK"], messages["invalid_token"].
_CATALOGUES = frozenset(
    {"error", "errors", "code", "codes", "message", "messages", "label", "labels", "names",
     "fields", "choices", "texts", "templates", "help", "translations"}
)  # fmt: skip


def _catalogue(node: cst.Subscript) -> bool:
    words = words_of(_last_name(node.value))
    return bool(words) and words[-1] in _CATALOGUES


def _last_name(node: cst.BaseExpression) -> str:
    """``checkout`` for ``checkout_info.checkout`` or ``checkout``; empty for anything else."""
    if isinstance(node, cst.Name):
        return node.value
    return node.attr.value if isinstance(node, cst.Attribute) else ""


def _flag_parameter(function: FunctionInfo | None, name: str) -> bool:
    """A parameter whose default is True, False or a number (``google_auth=False``) is a
    flag or a count, not a secret."""
    while function is not None:
        params = function.node.params
        for param in (*params.posonly_params, *params.params, *params.kwonly_params):
            if param.name.value == name:
                default = param.default
                return isinstance(default, cst.Integer | cst.Float) or (
                    isinstance(default, cst.Name) and default.value in ("True", "False")
                )
        function = function.parent
    return False


def _holds_a_value(value: cst.BaseExpression) -> bool:
    """A dict value that can be a secret: not a literal (``{"password": "Too short"}`` is a
    validation message), nor a container of literals, nor what an opaque call returns
    (``{"token": ValidationError(...)}``)."""
    match value:
        case cst.SimpleString() | cst.ConcatenatedString() | cst.Integer() | cst.Float():
            return False
        case cst.List(elements=items) | cst.Tuple(elements=items):
            return any(_holds_a_value(item.value) for item in items)
        case cst.Call():
            return any(leaf.node is not value for leaf in leaves(value)) or _is_read(value)
    return True


def _is_read(call: cst.Call) -> bool:
    """``environ.get("KEY")``, ``get_token()``: a call that returns a stored value."""
    func = call.func
    called = (
        func.value
        if isinstance(func, cst.Name)
        else (func.attr.value if isinstance(func, cst.Attribute) else "")
    )
    words = words_of(called)
    return called in _KEYED_READS or called == "getattr" or (bool(words) and words[0] == "get")


def _identifies_owner(evidence: Evidence, label: str | None, about: str | None) -> bool:
    """``log.info("taxes failed for checkout %s", checkout.token)``: the message says the value
    stands for its owner, the checkout (an identifier), as does
    ``raise NonExistingCheckout(checkout.token)``."""
    node = evidence.node
    if evidence.kind != "attribute" or not isinstance(node, cst.Attribute):
        return False
    context = set(words_of(label or "")[-1:]) | set(words_of(about or ""))
    return bool(context & set(words_of(_last_name(node.value))) - {"self"})


def _read_key(called: str, node: cst.Call) -> str | None:
    """The string key of ``x.get("KEY")``, ``getenv("KEY")``, ``getattr(obj, "KEY")``."""
    position = 1 if called == "getattr" else 0 if called in _KEYED_READS else None
    if position is None:
        return None
    positional = [a.value for a in node.args if a.keyword is None and not a.star]
    if len(positional) <= position:
        return None
    value = positional[position]
    if isinstance(value, cst.SimpleString):
        text = value.evaluated_value
        return text if isinstance(text, str) else None
    return None


def _bound(
    target: cst.BaseExpression, value: cst.BaseExpression
) -> Iterator[tuple[str, cst.BaseExpression]]:
    """``x = v`` binds v to x; ``x["Authorization"] = v`` puts a keyed value into x."""
    match target:
        case cst.Name(value=name):
            yield name, value
        case cst.Subscript(value=cst.Name(value=name)):
            key = _string_index(target)
            if key is not None:
                element = cst.DictElement(cst.SimpleString(repr(key)), value)
                yield name, cst.Dict([element])


def _string_index(node: cst.Subscript) -> str | None:
    if len(node.slice) != 1:
        return None
    index = node.slice[0].slice
    if isinstance(index, cst.Index) and isinstance(index.value, cst.SimpleString):
        text = index.value.evaluated_value
        return text if isinstance(text, str) else None
    return None


def _code(node: cst.CSTNode) -> str:
    code = cst.Module([]).code_for_node(node)
    return code if len(code) <= 60 and "\n" not in code else "..."


def _short(ctx: FileContext, node: cst.CSTNode) -> str:
    code = ctx.code(node)
    return code if len(code) <= 60 and "\n" not in code else code.split("\n", 1)[0][:57] + "..."


def percent_labels(template: cst.SimpleString | cst.ConcatenatedString) -> list[str]:
    """The text before each ``%s`` of a %-template: ``"user %s token=%s"`` -> "user ", " token="."""
    text = template.evaluated_value
    if not isinstance(text, str):
        return []
    labels: list[str] = []
    start = 0
    for placeholder in _PERCENT.finditer(text):
        if placeholder.group() == "%%":
            continue
        labels.append(text[start : placeholder.start()])
        start = placeholder.end()
    return labels


def brace_labels(text: str) -> list[str]:
    """The text before each ``{}`` / ``{0}`` / ``{name}`` field of a ``.format`` template."""
    labels: list[str] = []
    start = 0
    for field in _BRACES.finditer(text):
        if field.group("field") is None:
            continue
        labels.append(text[start : field.start()])
        start = field.end()
    return labels
