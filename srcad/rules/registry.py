"""The rule registry: one table of derivative rules that both engines use.

A rule is a *template*: an ordinary Python function whose first parameter is the
primitive's result and whose other parameters mirror the primitive's signature.
Its body assigns adjoints (or tangents) with Tangent's ``d[...]`` notation::

    @adjoint(np.sin)
    def _(result, x):
        d[x] = d[result] * np.cos(x)

The compiler inlines the template's AST into generated code; the tape compiles
the same template once into a backward function (:func:`backward_fn`).  Nothing
here imports NumPy: the maths lives in the rule families beside this module.
"""

import functools
import inspect
import textwrap

import gast

from ..compiler import vocab as _v
from ..compiler.astutil import clone

# prim -> Rule.  Keys are the primitive objects themselves (np.sin, operator.add,
# np.ndarray.sum, ...); unhashable primitives are keyed by id().
_RULES = {}
VERSION = [0]  # bumped on every registration: cached transformations depend on the table
# called (no arguments) on every registration: caches built from rules forget them
# (the tape's compiled rules, tape/node.py); the compiler's caches key on VERSION
_ON_CHANGE = []


def on_change(fn):
    """Call ``fn()`` whenever a rule is registered or re-registered."""
    _ON_CHANGE.append(fn)
    return fn


class Template:
    """A derivative rule written as a function using ``d[name]``."""

    def __init__(self, fn, kind):
        self.fn = fn
        self.kind = kind
        self.signature = inspect.signature(fn)
        params = list(self.signature.parameters.values())
        if not params:
            raise TypeError(f"{kind} template {fn.__name__} needs a result parameter")
        self.result = params[0].name
        self.params = [p.name for p in params[1:]]
        self.vararg = next(
            (p.name for p in params[1:] if p.kind is inspect.Parameter.VAR_POSITIONAL), None
        )
        self._prim_sig = self.signature.replace(parameters=params[1:])
        self._tree = None
        self.derived_from = None  # the adjoint a derived tangent was made from

    @classmethod
    def derived(cls, adjoint_tpl, tree):
        """A tangent template made from ``adjoint_tpl`` (same signature), with ``tree``."""
        tpl = cls(adjoint_tpl.fn, "tangent")
        tpl._tree = tree
        tpl.derived_from = adjoint_tpl
        return tpl

    @property
    def tree(self):
        """The template's ``gast.FunctionDef`` (parsed once, on first use)."""
        if self._tree is None:
            src = textwrap.dedent(inspect.getsource(self.fn))
            mod = gast.parse(src)
            fdef = mod.body[0]
            fdef.decorator_list = []
            self._tree = fdef
        return self._tree

    @property
    def filename(self):
        return inspect.getsourcefile(self.fn)

    def bind(self, args, kwargs):
        """Map a call's arguments onto the template's parameters (defaults applied).

        Raises TypeError when the call does not fit the primitive's signature.
        """
        ba = self._prim_sig.bind(*args, **kwargs)
        ba.apply_defaults()
        return dict(ba.arguments)

    def written(self):
        """Names of the parameters whose ``d[...]`` the template assigns."""
        out = []
        for node in gast.walk(self.tree):
            if isinstance(node, gast.Assign):
                for t in node.targets:
                    name = d_target(t)
                    if name is not None and name not in out:
                        out.append(name)
        return out


class Rule:
    """Everything srcad knows about differentiating one primitive."""

    __slots__ = ("prim", "name", "adjoint", "tangent", "broadcast", "linear", "nondiff")

    def __init__(self, prim):
        self.prim = prim
        self.name = getattr(prim, "__qualname__", None) or getattr(prim, "__name__", repr(prim))
        self.adjoint = None
        self.tangent = None
        # broadcast: the primitive broadcasts its array arguments, so every
        # adjoint it produces is summed back to its argument's shape (one helper,
        # runtime.unbroadcast, does that for every rule).
        self.broadcast = False
        # linear: names of the parameters in which the primitive is linear; a
        # forward rule for it is the primitive applied to the tangents.
        self.linear = None
        self.nondiff = False

    def __repr__(self):
        return f"<Rule {self.name}{' nondiff' if self.nondiff else ''}>"


def _key(prim):
    try:
        hash(prim)
        return prim
    except TypeError:
        return ("id", id(prim))


def _entry(prim):
    VERSION[0] += 1
    for fn in _ON_CHANGE:
        fn()
    k = _key(prim)
    rule = _RULES.get(k)
    if rule is None:
        rule = _RULES[k] = Rule(prim)
    return rule


def lookup(prim):
    """The :class:`Rule` for ``prim``, or ``None`` if srcad has none."""
    try:
        return _RULES.get(_key(prim))
    except TypeError:
        return None


def adjoint(*prims, broadcast=False, linear=None, elementwise=False, reduction=False):
    """Register a reverse-mode rule for one or more primitives.

    Example::

        @srcad.adjoint(my_op)
        def _(result, x, y):
            d[x] = d[result] * y
            d[y] = d[result] * x

    ``broadcast=True`` says the primitive broadcasts its arguments; adjoints are
    then reduced to each argument's shape automatically.  ``linear`` names the
    parameters in which the primitive is linear (its tangent rule is derived).
    ``elementwise=True`` says the primitive acts element by element and every
    adjoint is ``d[result]`` times (or divided by) a local derivative: the tangent
    rule is then derived, ``d[result] = d[x] * (...) + d[y] * (...)``
    (PyTorch's ``auto_element_wise``); an explicit ``@tangent`` still wins.
    ``reduction=True`` says the adjoint is the reduction-weights pattern,
    ``d[a] = _rt.expand_reduced(d[result], a, axis, keepdims) * w``: the tangent is
    derived as ``np.sum(w * d[a], axis=axis, keepdims=keepdims)``.
    """
    if not prims:
        raise TypeError("adjoint() needs the primitive it differentiates")

    def register(fn):
        tpl = Template(fn, "adjoint")
        derived = None
        if elementwise:
            derived = elementwise_tangent(tpl, broadcast)
        elif reduction:
            derived = reduction_tangent(tpl)
        for prim in prims:
            rule = _entry(prim)
            rule.adjoint = tpl
            rule.broadcast = broadcast
            rule.nondiff = False
            if linear is not None:
                rule.linear = tuple(linear)
            if derived is not None and (rule.tangent is None or rule.tangent.derived_from):
                rule.tangent = derived
            _BACKWARD_CACHE.pop(_key(prim), None)
        return fn

    return register


def elementwise_tangent(tpl, broadcast=False):
    """The tangent template of an elementwise adjoint template ``tpl``.

    Each statement of ``tpl`` must be ``d[p] = E_p`` with ``E_p`` linear in
    ``d[result]`` through products, quotients (as numerator) and signs only, and
    no other ``d[...]`` read; the tangent is ``d[result] = sum_p E_p[d[result] :=
    d[p]]``.  For an elementwise map the Jacobian is diagonal, so its transpose
    (the adjoint) and itself (the tangent) multiply by the same factor.  With
    ``broadcast``, a term whose factor reads neither ``result`` nor every other
    argument the rule uses (``d[x]`` alone, ``2.0 * d[x]``) may be smaller than the
    result when the other tangents are zero: it is broadcast to the result's shape
    (``_rt.broadcast_like``).
    """
    fdef = clone(tpl.tree)
    used = _names_read(fdef) & set(tpl.params)
    terms = []
    for stmt in fdef.body:
        if isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Constant):
            continue  # a docstring
        p = d_target(stmt.targets[0]) if isinstance(stmt, gast.Assign) else None
        if p is None or len(stmt.targets) != 1 or p not in tpl.params:
            raise TypeError(
                f"elementwise adjoint {tpl.fn.__qualname__}: only d[param] = ... lines"
            )
        if not _linear_in_seed(stmt.value, tpl.result):
            raise TypeError(
                f"elementwise adjoint {tpl.fn.__qualname__}: d[{p}] is not d[{tpl.result}] "
                "times or divided by a factor"
            )
        term = _SwapSeed(tpl.result, p).visit(stmt.value)
        if broadcast and not _full_shaped(term, p, tpl, used):
            if "_rt" not in tpl.fn.__globals__:
                raise TypeError(f"elementwise adjoint {tpl.fn.__qualname__}: its module needs _rt")
            term = _rt_call("broadcast_like", [term, _v.name(tpl.result)])
        terms.append(term)
    value = functools.reduce(lambda a, b: gast.BinOp(a, gast.Add(), b), terms)
    fdef.body = [_d_assign(tpl.result, value)]
    return Template.derived(tpl, fdef)


def reduction_tangent(tpl):
    """The tangent template of a reduction-weights adjoint template ``tpl``.

    ``tpl`` holds temporaries and one ``d[a] = _rt.expand_reduced(G, a, axis,
    keepdims) * W`` with ``G`` = ``d[result]`` (or ``_rt.real_cotangent(d[result])``,
    for a real result of complex input); the tangent keeps the temporaries and is
    ``d[result] = np.sum(W * d[a], axis=axis, keepdims=keepdims)`` (under
    ``np.real`` in the second case): d result = sum over the reduced axes of
    (d result / d a) * d a, with ``W`` = d result / d a shaped like ``a``.
    """
    who = f"reduction adjoint {tpl.fn.__qualname__}"
    if "np" not in tpl.fn.__globals__:
        raise TypeError(f"{who}: its module needs np")
    fdef = clone(tpl.tree)
    body, seed = [], None
    for stmt in fdef.body:
        if isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Constant):
            continue
        if not isinstance(stmt, gast.Assign) or len(stmt.targets) != 1:
            raise TypeError(f"{who}: only assignments")
        p = d_target(stmt.targets[0])
        if p is None and isinstance(stmt.targets[0], gast.Name):
            body.append(stmt)  # a temporary (the weights)
        elif p in tpl.params and seed is None:
            seed = (p, stmt.value)
        else:
            raise TypeError(f"{who}: one d[param] = ... line and temporaries")
    if seed is None:
        raise TypeError(f"{who}: no d[param] = ... line")
    p, v = seed
    ok = isinstance(v, gast.BinOp) and isinstance(v.op, gast.Mult)
    expand = v.left if ok else None
    if not (_is_rt_call(expand, "expand_reduced") and len(expand.args) == 4):
        raise TypeError(f"{who}: d[{p}] is not _rt.expand_reduced(...) * weights")
    g, a, axis, keepdims = expand.args
    real = _is_rt_call(g, "real_cotangent") and len(g.args) == 1
    g = g.args[0] if real else g
    if d_target(g) != tpl.result or not (isinstance(a, gast.Name) and a.id == p):
        raise TypeError(f"{who}: the expanded cotangent must be d[{tpl.result}], over {p}")
    dp = gast.Subscript(_v.name("d"), _v.name(p), gast.Load())
    total = _v.call(
        _v.attr(_v.name("np"), "sum"),
        [gast.BinOp(v.right, gast.Mult(), dp)],
        [gast.keyword("axis", axis), gast.keyword("keepdims", keepdims)],
    )
    if real:
        total = _v.call(_v.attr(_v.name("np"), "real"), [total])
    fdef.body = body + [_d_assign(tpl.result, total)]
    return Template.derived(tpl, fdef)


def _d_assign(result, value):
    """``d[result] = value``."""
    target = gast.Subscript(_v.name("d"), _v.name(result), gast.Store())
    return gast.Assign([target], value, None)


def _is_rt_call(node, helper):
    return _v.is_call_of(node, "_rt", helper)


def _names_read(node):
    return {
        n.id
        for n in gast.walk(node)
        if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load) and n.id != "d"
    }


def _full_shaped(term, p, tpl, used):
    """Does the tangent term of ``p`` have the broadcast result's shape by itself?"""
    read = _names_read(term) - {p}
    for n in gast.walk(term):
        if d_target(n) is not None:
            read.discard(d_target(n))
    return tpl.result in read or (used - {p}) <= read


def _rt_call(helper, args):
    return _v.call(_v.attr(_v.name("_rt"), helper), args)


def _linear_in_seed(expr, result):
    """``expr`` reads ``d[result]`` once, through ``*``, ``/`` (numerator) and signs."""
    reads = [n for n in gast.walk(expr) if d_target(n) is not None]
    if len(reads) != 1 or d_target(reads[0]) != result:
        return False
    node = expr
    while node is not reads[0]:
        if isinstance(node, gast.UnaryOp) and isinstance(node.op, (gast.USub, gast.UAdd)):
            node = node.operand
        elif isinstance(node, gast.BinOp) and isinstance(node.op, gast.Mult):
            node = node.left if any(n is reads[0] for n in gast.walk(node.left)) else node.right
        elif isinstance(node, gast.BinOp) and isinstance(node.op, gast.Div):
            if not any(n is reads[0] for n in gast.walk(node.left)):
                return False
            node = node.left
        else:
            return False
    return True


class _SwapSeed(gast.NodeTransformer):
    """``d[result]`` -> ``d[p]``."""

    def __init__(self, result, p):
        self.result, self.p = result, p

    def visit_Subscript(self, node):
        if d_target(node) == self.result:
            node.slice = _v.name(self.p)
            return node
        return self.generic_visit(node)


def tangent(*prims):
    """Register a forward-mode rule: ``d[result] = ... d[x] ...``."""
    if not prims:
        raise TypeError("tangent() needs the primitive it differentiates")

    def register(fn):
        tpl = Template(fn, "tangent")
        for prim in prims:
            _entry(prim).tangent = tpl
        return fn

    return register


def linear(*prims, params):
    """Declare primitives linear in ``params`` (their tangent is the primitive applied
    to the tangents), without writing a reverse rule here."""
    for prim in prims:
        _entry(prim).linear = tuple(params)


def nondifferentiable(*prims):
    """Declare primitives whose result carries no gradient (shape, argmax, ==, ...)."""
    for prim in prims:
        rule = _entry(prim)
        rule.nondiff = True
        rule.adjoint = None


def d_target(node):
    """If ``node`` is ``d[name]``, return ``name``; otherwise ``None``."""
    if (
        isinstance(node, gast.Subscript)
        and isinstance(node.value, gast.Name)
        and node.value.id == "d"
        and isinstance(node.slice, gast.Name)
    ):
        return node.slice.id
    return None


# ---------------------------------------------------------------------------
# The tape's view of a rule: the template compiled into a backward function.

_BACKWARD_CACHE = {}


class _ToBackward(gast.NodeTransformer):
    """Rewrite a template body for the tape.

    ``d[result]`` becomes ``_g``; ``d[p] = e`` becomes
    ``if _needs[i]: _grads[i] = unbroadcast(e, p)``.
    """

    def __init__(self, tpl, broadcast):
        self.tpl = tpl
        self.broadcast = broadcast

    def visit_Subscript(self, node):
        if d_target(node) == self.tpl.result:
            return gast.Name("_g", gast.Load(), None, None)
        self.generic_visit(node)
        return node

    def visit_Assign(self, node):
        name = d_target(node.targets[0]) if len(node.targets) == 1 else None
        if name is None:
            self.generic_visit(node)
            return node
        if name not in self.tpl.params:
            raise TypeError(f"rule {self.tpl.fn.__name__} assigns d[{name}], not a parameter")
        i = self.tpl.params.index(name)
        value = self.visit(node.value)
        if self.broadcast and name != self.tpl.vararg:
            value = gast.Call(
                gast.Name("_unbroadcast", gast.Load(), None, None),
                [value, gast.Name(name, gast.Load(), None, None)],
                [],
            )
        idx = gast.Constant(i, None)
        store = gast.Subscript(gast.Name("_grads", gast.Load(), None, None), idx, gast.Store())
        test = gast.Subscript(gast.Name("_needs", gast.Load(), None, None), idx, gast.Load())
        return gast.If(test, [gast.Assign([store], value, None)], [])


def backward_fn(prim):
    """The tape's backward function for ``prim``.

    Returns ``f(_g, result, *params, _needs)`` giving a list with one entry per
    template parameter: the gradient for that parameter, or ``None`` where it was
    not needed.  Built from the same template the compiler inlines.
    """
    k = _key(prim)
    fn = _BACKWARD_CACHE.get(k)
    if fn is not None:
        return fn
    rule = lookup(prim)
    if rule is None or rule.adjoint is None:
        return None
    tpl = rule.adjoint
    import astor  # noqa: PLC0415  (kept local: only the tape needs it here)

    from ..runtime.core import unbroadcast

    tree = _ToBackward(tpl, rule.broadcast).visit(clone(tpl.tree))
    body = tree.body
    fargs = ["_g", tpl.result] + [p for p in tpl.params] + ["_needs"]
    head = f"def _backward({', '.join(fargs)}):\n    _grads = [None] * {len(tpl.params)}\n"
    src = (
        head
        + textwrap.indent("".join(astor.to_source(gast.gast_to_ast(s)) for s in body), "    ")
        + "    return _grads\n"
    )
    namespace = dict(tpl.fn.__globals__)
    namespace["_unbroadcast"] = unbroadcast
    filename = f"<srcad backward of {rule.name}>"
    import linecache  # noqa: PLC0415

    linecache.cache[filename] = (len(src), None, src.splitlines(True), filename)
    exec(compile(src, filename, "exec"), namespace)
    fn = namespace["_backward"]
    fn.__srcad_source__ = src
    _BACKWARD_CACHE[k] = fn
    return fn


def all_rules():
    """Every registered rule (for tests and documentation)."""
    return list(_RULES.values())
