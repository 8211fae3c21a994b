"""A mypy plugin: short, precise errors for ``client.call`` and ``client.paginate``.

Enable it in the project's mypy configuration::

    [tool.mypy]
    plugins = ["oaimap.mypy_plugin"]

Without it, mypy checks a call against the stubs' overloads (``oaimap/_typed.pyi``, one
per operation) and a mistake prints "No overload variant ..." followed by every overload.
With it, a call whose operation name is a literal is checked against that operation's own
payload ``TypedDict`` first, and a mistake is one line naming the operation and the key::

    error: oaimap: unknown operation "responses.creat" (did you mean "responses.create"?)
    error: oaimap: responses.create: unknown key "temprature" (did you mean "temperature"?)
    error: oaimap: responses.create: "temperature" expects float | None, got str

How: mypy offers each overload to a signature hook before it checks the call. The hook
finds the operation's overloads from the literal name, checks the payload and options
against them, and reports what is wrong. A call that passes is left to the overloads
unchanged, so the inferred result type is exactly the stubs' (a ``Stream`` for
``stream: True``...). A call with a mistake gets permissive overloads (``Any`` in, ``Any``
out), so the one line is all mypy prints. A name typed ``OperationName`` (a wrapper that
takes any operation) or ``Any`` is accepted with any mapping payload. Other type checkers
never load this module and keep the overloads.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from mypy.errorcodes import ErrorCode
from mypy.nodes import ARG_NAMED, ARG_POS, CallExpr, Context, DictExpr, Expression, OverloadedFuncDef, StrExpr
from mypy.options import Options
from mypy.plugin import CheckerPluginInterface, MethodSigContext, Plugin
from mypy.messages import format_type_bare
from mypy.subtypes import is_subtype
from mypy.types import (
    AnyType,
    CallableType,
    FormalArgument,
    FunctionLike,
    Instance,
    LiteralType,
    NoneType,
    Overloaded,
    ProperType,
    Type,
    TypedDictType,
    TypeOfAny,
    UnionType,
    UnpackType,
    get_proper_type,
)

from oaimap.suggest import near_miss

PREFIX = "oaimap: "
# The classes of oaimap/_typed.pyi whose methods take an operation name first.
HOOKED = {
    f"oaimap._typed.{cls}.{method}": (f"oaimap._typed.{cls}", method)
    for cls in ("Client", "AsyncClient")
    for method in ("call", "paginate")
}
# `# type: ignore[oaimap]` silences one of these errors; `disable_error_code = oaimap` all.
ERROR_CODE = ErrorCode("oaimap", "An oaimap operation called with a wrong name, payload or option", "General")
LONGEST_TYPE = 90  # characters of a type shown in a message; a long Literal is cut


def did_you_mean(word: str, known: Sequence[str]) -> str:
    """`` (did you mean "x"?)`` for the closest of ``known``, or nothing."""
    close = near_miss(word, known)
    return f' (did you mean "{close}"?)' if close else ""


@dataclass
class Operations:
    """One hooked method's overloads, by operation name (dotted names and aliases)."""

    by_name: dict[str, list[CallableType]] = field(default_factory=dict)
    overloads: int = 0  # how many; mypy calls the hook this many times per check of a call

    @classmethod
    def of(cls, overloads: Sequence[CallableType]) -> Operations:
        table = cls(overloads=len(overloads))
        for item in overloads:
            for name in _literal_names(item.argument_by_name("name")):
                table.by_name.setdefault(name, []).append(item)
        return table


def _literal_names(arg: FormalArgument | None) -> list[str]:
    """The string literals a ``name: Literal[...]`` parameter accepts."""
    return [
        member.value
        for member in _members(arg.typ if arg is not None else None)
        if isinstance(member, LiteralType) and isinstance(member.value, str)
    ]


def _members(typ: Type | None) -> list[ProperType]:
    """The proper types of a union's members (the type itself when it is none)."""
    proper = get_proper_type(typ)
    if proper is None:
        return []
    if isinstance(proper, UnionType):
        return [get_proper_type(member) for member in proper.items]
    return [proper]


@dataclass
class Verdict:
    """What the hook decided for one call: the problems to report (message, where), and
    whether the call's overloads must be made permissive."""

    problems: list[tuple[str, Context]] = field(default_factory=list)
    permissive: bool = False


class OaimapPlugin(Plugin):
    def __init__(self, options: Options) -> None:
        super().__init__(options)
        self._tables: dict[str, tuple[OverloadedFuncDef, Operations]] = {}
        # The call being checked, its verdict, and how many of its overloads are still to come.
        self._current: tuple[CallExpr, Verdict] | None = None
        self._to_come = 0

    def get_method_signature_hook(self, fullname: str) -> Callable[[MethodSigContext], FunctionLike] | None:
        target = HOOKED.get(fullname)
        if target is None:
            return None
        cls, method = target
        return lambda ctx: self._signature(ctx, cls, method)

    # -- the hook -------------------------------------------------------------------------
    def _signature(self, ctx: MethodSigContext, cls: str, method: str) -> FunctionLike:
        """Called once per overload of the method, for one call; the verdict is worked out
        on the first and kept for the others (mypy drops repeated identical errors). A
        call checked again (mypy does, in some contexts) is judged afresh."""
        call = ctx.context
        if not isinstance(call, CallExpr):
            return ctx.default_signature
        tables = self._operations(ctx, cls, method)
        if tables is None:
            return ctx.default_signature
        if self._current is None or self._current[0] is not call or self._to_come == 0:
            self._current = (call, _Checker(ctx.api, call, *tables).verdict())
            self._to_come = tables[0].overloads
        self._to_come -= 1
        verdict = self._current[1]
        for message, where in verdict.problems:
            ctx.api.fail(PREFIX + message, where, code=ERROR_CODE)
        return _permissive(ctx.default_signature) if verdict.permissive else ctx.default_signature

    def _operations(self, ctx: MethodSigContext, cls: str, method: str) -> tuple[Operations, Operations] | None:
        """(this method's operations, ``call``'s operations) from the stub class in the
        receiver's MRO."""
        receiver = get_proper_type(ctx.type)
        if not isinstance(receiver, Instance):
            return None
        info = next((base for base in receiver.type.mro if base.fullname == cls), None)
        if info is None:
            return None
        out = []
        for name in (method, "call"):
            node = info.names.get(name)
            overloads = node.node if node is not None else None
            if not isinstance(overloads, OverloadedFuncDef) or not isinstance(overloads.type, Overloaded):
                return None
            key = f"{cls}.{name}"
            if key not in self._tables or self._tables[key][0] is not overloads:
                self._tables[key] = (overloads, Operations.of(overloads.type.items))
            out.append(self._tables[key][1])
        return out[0], out[1]


def _permissive(signature: CallableType) -> CallableType:
    """The overload with every parameter and the result ``Any``."""
    anything = AnyType(TypeOfAny.special_form)
    return signature.copy_modified(
        arg_types=[anything] * len(signature.arg_types),
        ret_type=anything,
        unpack_kwargs=False,
    )


class _Checker:
    """Checks one call (its name, payload and options) against its operation's overloads."""

    def __init__(self, api: CheckerPluginInterface, call: CallExpr, ops: Operations, calls: Operations):
        self.api = api
        self.call = call
        self.ops = ops
        self.calls = calls
        self.verdict_ = Verdict()

    def verdict(self) -> Verdict:
        args = self._arguments()
        if args is None:  # *args / **kwargs: mypy's overloads decide
            return self.verdict_
        name_expr, payload, options = args
        if name_expr is None:
            return self.verdict_
        names = self._names(name_expr)
        if names is None:  # Any, or several operations (OperationName): any mapping goes
            self.verdict_.permissive = True
            anything = AnyType(TypeOfAny.special_form)
            mapping = self.api.named_generic_type("typing.Mapping", [self.api.named_generic_type("builtins.str", []), anything])
            if payload is not None and not self._fits(payload, UnionType([mapping, NoneType()])):
                self._fail(f"the payload must be a mapping, got {self._show(self._infer(payload))}", payload)
            return self.verdict_
        if not names:
            shown = self._show(self._infer(name_expr))
            self._fail(f"the operation name must be a literal or oaimap.types.OperationName, got {shown}", name_expr)
            return self.verdict_
        (name,) = names
        overloads = self.ops.by_name.get(name)
        if overloads is None:
            if name in self.calls.by_name:
                self._fail(f"{name} does not answer a list, so it cannot be paginated; use call", name_expr)
            else:
                self._fail(f'unknown operation "{name}"' + did_you_mean(name, list(self.calls.by_name)), name_expr)
            return self.verdict_
        _Operation(self, name, overloads).check(payload, options)
        return self.verdict_

    def _arguments(self) -> tuple[Expression | None, Expression | None, list[tuple[str, Expression]]] | None:
        name = payload = None
        options = []
        positional = 0
        for expr, kind, key in zip(self.call.args, self.call.arg_kinds, self.call.arg_names):
            if kind == ARG_POS:
                if positional == 0:
                    name = expr
                elif positional == 1:
                    payload = expr
                else:
                    return None
                positional += 1
            elif kind == ARG_NAMED and key is not None:
                if key == "name":
                    name = expr
                elif key == "payload":
                    payload = expr
                else:
                    options.append((key, expr))
            else:
                return None
        return name, payload, options

    def _names(self, expr: Expression) -> list[str] | None:
        """The one operation name ``expr`` holds ([name]); [] when it is no literal; None
        when it is Any or a union of literals."""
        if isinstance(expr, StrExpr):
            return [expr.value]
        typ = get_proper_type(self._infer(expr))
        if isinstance(typ, AnyType):
            return None
        if isinstance(typ, Instance) and typ.last_known_value is not None:
            typ = typ.last_known_value
        if isinstance(typ, LiteralType) and isinstance(typ.value, str):
            return [typ.value]
        if isinstance(typ, UnionType) and all(isinstance(t, LiteralType) for t in _members(typ)):
            return None
        return []

    # -- helpers shared with _Operation ----------------------------------------------------
    def _infer(self, expr: Expression, context: Type | None = None) -> Type:
        with self.api.msg.filter_errors():
            return self.api.get_expression_type(expr, context)

    def _fits(self, expr: Expression, expected: Type) -> bool:
        """Whether ``expr`` type-checks where ``expected`` is wanted: inferred in that
        context, as mypy does for the argument itself, where an error means it does not
        fit, unless the expression has that error on its own. Then mypy reports that
        error, and the overloads are made permissive so that it is the only one (an error
        inside an argument would fail every overload)."""
        with self.api.msg.filter_errors() as watcher:
            actual = self.api.get_expression_type(expr, expected)
        if not watcher.has_new_errors():
            return is_subtype(actual, expected)
        with self.api.msg.filter_errors() as alone:
            self.api.get_expression_type(expr)
        if alone.has_new_errors():
            self.verdict_.permissive = True
            return True
        return False

    def _show(self, typ: Type) -> str:
        text = format_type_bare(typ, self.api.options)
        return text if len(text) <= LONGEST_TYPE else text[: LONGEST_TYPE - 3] + "..."

    def _fail(self, message: str, where: Context) -> None:
        self.verdict_.problems.append((message, where))
        self.verdict_.permissive = True


class _Operation:
    """The checks for one named operation: payload keys and value types, options."""

    def __init__(self, checker: _Checker, name: str, overloads: list[CallableType]):
        self.checker = checker
        self.name = name
        # The last overload takes the whole payload (the stream variants come first).
        self.full = overloads[-1]
        self.options: dict[str, Type] = {}
        for item in overloads:
            if item.arg_kinds and item.arg_kinds[-1].is_star() and item.unpack_kwargs:
                unpacked = item.arg_types[-1]
                typed = get_proper_type(unpacked.type if isinstance(unpacked, UnpackType) else unpacked)
                if isinstance(typed, TypedDictType):
                    self.options.update(typed.items)

    def fail(self, message: str, where: Context) -> None:
        self.checker._fail(f"{self.name}: {message}", where)

    def check(self, payload: Expression | None, options: list[tuple[str, Expression]]) -> None:
        formal = self.full.argument_by_name("payload")
        shape = next((t for t in _members(formal.typ if formal else None) if isinstance(t, TypedDictType)), None)
        if formal is not None and shape is not None:
            if payload is None:
                if formal.required and shape.required_keys:
                    self.fail(f"missing required {_keys(shape.required_keys)}", self.checker.call)
            elif isinstance(payload, DictExpr) and all(isinstance(k, StrExpr) for k, _ in payload.items):
                self._check_literal(payload, shape)
            else:
                self._check_value(payload, shape, formal.typ)
        for key, expr in options:
            expected = self.options.get(key)
            if expected is None:
                self.fail(f'unknown option "{key}"' + did_you_mean(key, list(self.options)), expr)
            else:
                self._check_item(key, expr, expected, "option ")

    def _check_literal(self, payload: DictExpr, shape: TypedDictType) -> None:
        present = {key.value: value for key, value in payload.items if isinstance(key, StrExpr)}
        unknown = [key for key in present if key not in shape.items]
        for missing in sorted(shape.required_keys - present.keys()):
            near = near_miss(missing, unknown)
            hint = f' (is "{near}" a misspelling?)' if near else ""
            if near:
                unknown.remove(near)
            self.fail(f'missing required key "{missing}"{hint}', payload)
        for key in unknown:
            self.fail(f'unknown key "{key}"' + did_you_mean(key, [k for k in shape.items if k not in present]), present[key])
        for key, value in present.items():
            if key in shape.items:
                self._check_item(key, value, shape.items[key])

    def _check_item(self, key: str, value: Expression, expected: Type, what: str = "") -> None:
        if not self.checker._fits(value, expected):
            shown, got = self.checker._show(expected), self.checker._show(self.checker._infer(value))
            self.fail(f'{what}"{key}" expects {shown}, got {got}', value)

    def _check_value(self, payload: Expression, shape: TypedDictType, declared: Type) -> None:
        """A payload that is not a dict display: a variable, a call's result..."""
        if self.checker._fits(payload, declared):
            return
        actual = get_proper_type(self.checker._infer(payload))
        public = f"oaimap.types.{shape.fallback.type.name}" if shape.fallback.type.fullname.startswith("oaimap.") else None
        if isinstance(actual, TypedDictType):
            extra = sorted(actual.items.keys() - shape.items.keys())
            missing = sorted(shape.required_keys - actual.required_keys)
            wrong = sorted(k for k in actual.items.keys() & shape.items.keys() if not is_subtype(actual.items[k], shape.items[k]))
            if extra:
                self.fail(f"payload has unknown {_keys(extra)}", payload)
            if missing:
                self.fail(f"payload may lack required {_keys(missing)}", payload)
            for key in wrong:
                self.fail(f'"{key}" expects {self.checker._show(shape.items[key])}, got {self.checker._show(actual.items[key])}', payload)
            if extra or missing or wrong:
                return
        hint = f"; annotate it as {public}" if public else ""
        self.fail(f"the payload is {self.checker._show(actual)}, not a {shape.fallback.type.name}{hint}", payload)


def _keys(keys: Sequence[str] | set[str], most: int = 4) -> str:
    """``key "a"`` / ``keys "a", "b" and 3 more``."""
    names = sorted(keys)
    shown = ", ".join(f'"{k}"' for k in names[:most])
    more = f" and {len(names) - most} more" if len(names) > most else ""
    return ("key " if len(names) == 1 else "keys ") + shown + more


def plugin(version: str) -> type[Plugin]:
    """mypy's entry point."""
    return OaimapPlugin
