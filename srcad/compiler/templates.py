"""Inline a rule template (``d[x] = d[result] * y``) into generated code."""

import builtins
import inspect
import math

import gast
import numpy as np

from ..rules.registry import d_target
from .astutil import clone, walk
from .vocab import const, name, store


class Namespace:
    """Objects that generated code refers to, and the names it uses for them.

    A template's ``np`` is written as the user's ``np`` when that is the same
    object; otherwise srcad injects it under a fresh name (a closure variable of
    the generated function, so the user's module is never modified).
    """

    def __init__(self, parsed, namer):
        self.parsed = parsed
        self.namer = namer
        self.injected = {}  # name -> object
        self._by_id = {}
        for k, v in parsed.closure.items():
            self.injected[k] = v

    def ref(self, obj, preferred):
        key = id(obj)
        if key in self._by_id:
            return self._by_id[key]
        ok, cur = self.parsed.lookup(preferred)
        if ok and cur is obj and preferred not in self.namer.taken - {preferred}:
            chosen = preferred
        elif preferred in self.injected and self.injected[preferred] is obj:
            chosen = preferred
        else:
            chosen = (
                preferred
                if (preferred not in self.namer.taken and not ok)
                else (self.namer.fresh(preferred))
            )
            self.namer.reserve(chosen)
            self.injected[chosen] = obj
        self._by_id[key] = chosen
        return chosen

    def const(self, value):
        """An AST node for a default value (a literal, or an injected name)."""
        if value is None or isinstance(value, (bool, int, float, str)):
            return const(value)
        if isinstance(value, tuple) and all(
            v is None or isinstance(v, (bool, int, float, str)) for v in value
        ):
            return gast.Tuple([const(v) for v in value], gast.Load())
        return name(self.ref(value, "default"))


class Inlined:
    """A template instantiated at one call site."""

    def __init__(self, prelude, contributions):
        self.prelude = prelude  # temp assignments
        self.contributions = contributions  # [(param, expr)]


def inline(tpl, bound, result_expr, dres_expr, ns, namer, wanted, prim=None):
    """Instantiate ``tpl`` with ``bound`` (param -> AST) for the params in ``wanted``.

    Returns an :class:`Inlined` whose contributions are ``(param, expr)``
    for every ``d[param] = expr`` with ``param`` in ``wanted``.  For ``prim`` one of
    ``math``'s trigonometric functions, the template's NumPy twins of them become the
    ``math`` ones (see :func:`_math_twins`).
    """
    fdef = tpl.tree
    params = set(tpl.params)
    temps = {}
    glob = tpl.fn.__globals__

    def subst(node):
        return _Subst(tpl, bound, result_expr, dres_expr, ns, glob, temps, namer).copy(node)

    prelude, contribs = [], []
    for stmt in fdef.body:
        if isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Constant):
            continue  # docstring
        if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1:
            p = d_target(stmt.targets[0])
            if p is not None:
                if p in wanted:
                    contribs.append((p, subst(stmt.value)))
                continue
            t = stmt.targets[0]
            if isinstance(t, gast.Name) and t.id not in params:
                new = temps.setdefault(t.id, namer.fresh(t.id))
                prelude.append(gast.Assign([store(new)], subst(stmt.value), None))
                continue
        raise TypeError(
            f"rule template {tpl.fn.__name__}: unsupported statement {type(stmt).__name__}"
        )
    # drop temporaries no kept contribution needs
    needed = {n.id for _, e in contribs for n in walk(e) if isinstance(n, gast.Name)}
    kept = []
    for s in reversed(prelude):
        if s.targets[0].id in needed:
            kept.append(s)
            needed |= {n.id for n in walk(s.value) if isinstance(n, gast.Name)}
    if prim in _MATH_TRIG:
        _math_twins([s.value for s in kept] + [e for _, e in contribs], ns)
    return Inlined(kept[::-1], contribs)


_MATH_TRIG = {math.sin, math.cos, math.sinh, math.cosh}
_TWINS = {"sin", "cos", "sinh", "cosh"}


def _math_twins(exprs, ns):
    """``np.cos(x)`` -> ``math.cos(x)`` (and sin, sinh, cosh) in the derivative of a
    ``math`` function: its argument is then a number that ``math.sin(x)`` (or cos,
    sinh, cosh) took without error, which the twin takes too, for the same value, at
    a twentieth of NumPy's cost on a Python float."""
    np_name = ns._by_id.get(id(np))
    if np_name is None:
        return
    for e in exprs:
        for n in walk(e):
            if (
                isinstance(n, gast.Call)
                and isinstance(n.func, gast.Attribute)
                and n.func.attr in _TWINS
                and isinstance(n.func.value, gast.Name)
                and n.func.value.id == np_name
                and len(n.args) == 1
                and not n.keywords
            ):
                n.func.value = name(ns.ref(math, "math"), gast.Load())


class _Subst:
    """A copy of a template expression with its names bound (``copy``).

    One pass, where a ``NodeTransformer`` over a ``clone`` took two: the copy is
    the clone's, and the substitutions (and the names they inject) come in the
    transformer's order, each node before its fields, the fields in order."""

    def __init__(self, tpl, bound, result_expr, dres_expr, ns, glob, temps, namer):
        self.tpl = tpl
        self.bound = bound
        self.result_expr = result_expr
        self.dres_expr = dres_expr
        self.ns = ns
        self.glob = glob
        self.temps = temps
        self.namer = namer

    def copy(self, node):
        cls = node.__class__
        if cls is gast.Subscript and d_target(node) == self.tpl.result:
            return clone(self.dres_expr)
        if cls is gast.Name:
            return self.visit_Name(clone(node))
        fields = cls._fields
        new = cls.__new__(cls)
        d = new.__dict__
        for k, v in node.__dict__.items():  # (clone's order of keys)
            if k not in fields and isinstance(v, (gast.AST, list)):
                v = clone(v)
            d[k] = v
        for f in fields:
            v = d.get(f)
            if isinstance(v, list):
                d[f] = [self.copy(x) if isinstance(x, gast.AST) else x for x in v]
            elif isinstance(v, gast.AST):
                d[f] = self.copy(v)
        return new

    def visit_Name(self, node):
        i = node.id
        if getattr(node, "srcad_keep", False):
            return node
        if i == self.tpl.result:
            return clone(self.result_expr)
        if i in self.bound:
            return clone(self.bound[i])
        if i in self.temps:
            return name(self.temps[i], node.ctx)
        if i in self.glob:
            return name(self.ns.ref(self.glob[i], i), node.ctx)
        if hasattr(builtins, i):
            return node
        raise TypeError(f"rule template {self.tpl.fn.__name__} uses unknown name {i!r}")


def bind_call(tpl, args, keywords, ns):
    """Bind call-site AST arguments to template params, defaults as AST.

    Returns ``{param: AST}``; a ``*vararg`` param maps to a Tuple of ASTs.
    Raises TypeError when the call does not fit.
    """
    kw = {k.arg: k.value for k in keywords}
    ba = tpl._prim_sig.bind(*args, **kw)
    out = {}
    for p in tpl._prim_sig.parameters.values():
        if p.name in ba.arguments:
            v = ba.arguments[p.name]
            if p.kind is inspect.Parameter.VAR_POSITIONAL:
                v = gast.Tuple(list(v), gast.Load())
            elif p.kind is inspect.Parameter.VAR_KEYWORD:
                raise TypeError("templates with **kwargs are not supported")
            out[p.name] = v
        elif p.default is not inspect.Parameter.empty:
            out[p.name] = ns.const(p.default)
        elif p.kind is inspect.Parameter.VAR_POSITIONAL:
            out[p.name] = gast.Tuple([], gast.Load())
    return out


def bind_or_refuse(parsed, stmt, tpl, rule, args, keywords, ns):
    """:func:`bind_call`, with a call that does not fit reported as UnsupportedError."""
    try:
        return bind_call(tpl, list(args), list(keywords), ns)
    except TypeError as exc:
        raise parsed.error(
            stmt,
            f"cannot match this call to the rule for {rule.name}: {exc}",
            "pass the arguments NumPy's documented way",
        ) from None
