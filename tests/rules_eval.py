"""Evaluate derivative-rule templates outside the engines, for the rule tests.

``vjp`` goes through the tape's view of a rule (``registry.backward_fn``); ``jvp``
compiles a tangent template on the spot (``d[result] = e`` becomes ``return e``
and ``d[x]`` a tangent argument) or, for a rule declared ``linear``, applies the
primitive to the tangents.  Finite differences give the reference for both.
"""

import ast
import inspect

import gast
import numpy as np

from srcad.compiler.astutil import clone
from srcad.rules import registry
from srcad.runtime import zeros_like

EPS = 1e-6


# ---------------------------------------------------------------------------
# Inputs: positional indices and keyword names address the arguments.


def get(args, kwargs, key):
    return args[key] if isinstance(key, int) else kwargs[key]


def put(args, kwargs, key, value):
    args, kwargs = list(args), dict(kwargs)
    if isinstance(key, int):
        args[key] = value
    else:
        kwargs[key] = value
    return args, kwargs


def locate(tpl, args, kwargs, key):
    """The template parameter (and index inside a vararg tuple) that ``key`` binds to."""
    marker = object()
    margs, mkwargs = put(args, kwargs, key, marker)
    for name, value in tpl.bind(margs, mkwargs).items():
        if value is marker:
            return name, None
        if isinstance(value, tuple):
            for k, v in enumerate(value):
                if v is marker:
                    return name, k
    raise AssertionError(f"{key!r} does not bind to a parameter of {tpl.fn}")


# ---------------------------------------------------------------------------
# Flattening values (arrays, Python floats, sequences of them) to float64 vectors.


def flat(x):
    if isinstance(x, (list, tuple)):
        parts = [flat(v) for v in x]
        return np.concatenate(parts) if parts else np.zeros(0)
    return np.ravel(np.asarray(x, dtype=np.float64)).copy()


def unflat(v, like):
    if isinstance(like, (list, tuple)):
        out, start = [], 0
        for item in like:
            n = flat(item).size
            out.append(unflat(v[start : start + n], item))
            start += n
        return type(like)(out) if not hasattr(like, "_fields") else tuple(out)
    if isinstance(like, float):
        return float(v[0])
    return np.reshape(v, np.shape(like)).astype(np.asarray(like).dtype)


def inner(c, y):
    """``<c, y>`` over matching structures; ``0.0`` entries of ``c`` count as zero."""
    if isinstance(y, (list, tuple)):
        if isinstance(c, float) and c == 0.0:
            return 0.0
        return sum(inner(ci, yi) for ci, yi in zip(c, y))
    if isinstance(c, float) and c == 0.0:
        return 0.0
    return float(np.sum(np.asarray(c, dtype=np.float64) * np.asarray(y, dtype=np.float64)))


def random_like(y, rng, dtype=np.float64):
    if isinstance(y, (list, tuple)):
        return (
            [random_like(v, rng, dtype) for v in y]
            if isinstance(y, list)
            else tuple(random_like(v, rng, dtype) for v in y)
        )
    if isinstance(y, float):
        return float(rng.normal())
    return np.asarray(rng.normal(size=np.shape(y))).astype(dtype)


# ---------------------------------------------------------------------------
# Reverse mode through the tape's backward function


def vjp(prim, args, kwargs, cotangent, wrt):
    """Gradients of ``<cotangent, prim(*args, **kwargs)>`` for the keys in ``wrt``."""
    rule = registry.lookup(prim)
    tpl = rule.adjoint
    result = prim(*args, **kwargs)
    bound = tpl.bind(args, kwargs)
    where = {key: locate(tpl, args, kwargs, key) for key in wrt}
    needs = [any(p == name for name, _ in where.values()) for p in tpl.params]
    grads = registry.backward_fn(prim)(cotangent, result, *[bound[p] for p in tpl.params], needs)
    out = {}
    for key, (name, k) in where.items():
        g = grads[tpl.params.index(name)]
        out[key] = g if k is None else g[k]
    return out


def fd_grad(prim, args, kwargs, cotangent, key, transform=None):
    """Central differences of ``<cotangent, prim(...)>`` in the argument ``key``."""
    x = get(args, kwargs, key)
    v = flat(x)
    out = np.zeros_like(v)
    for i in range(v.size):
        vals = []
        for s in (1.0, -1.0):
            w = v.copy()
            w[i] += s * EPS
            a, k = put(args, kwargs, key, unflat(w, x))
            if transform is not None:
                a, k = transform(a, k)
            vals.append(inner(cotangent, prim(*a, **k)))
        out[i] = (vals[0] - vals[1]) / (2 * EPS)
    return out


# ---------------------------------------------------------------------------
# Forward mode


def _d_name(node):
    if (
        isinstance(node, ast.Subscript)
        and isinstance(node.value, ast.Name)
        and node.value.id == "d"
        and isinstance(node.slice, ast.Name)
    ):
        return node.slice.id
    return None


class _ToJvp(ast.NodeTransformer):
    """``d[result]`` -> ``_out``; ``d[p]`` -> ``_t_p`` if ``p`` is active, else a zero ``0.0``."""

    def __init__(self, result, active):
        self.result = result
        self.active = active

    def visit_Subscript(self, node):
        name = _d_name(node)
        if name is None:
            self.generic_visit(node)
            return node
        if name == self.result:
            return ast.copy_location(ast.Name("_out", node.ctx), node)
        if name in self.active:
            out = ast.copy_location(ast.Name("_t_" + name, node.ctx), node)
            out.kind = "tangent"
            return out
        out = ast.copy_location(ast.Constant(0.0), node)
        out.kind = "zero"
        return out


def _zero():
    z = ast.Constant(0.0)
    z.kind = "zero"
    return z


def _fold(node):
    """Fold the zero tangents of inactive arguments, as the compiler does:
    returns ``(node, kind)`` with kind 'zero', 'tangent' or 'const'."""
    kind = getattr(node, "kind", None)
    if kind is not None:
        return node, kind
    if isinstance(node, ast.BinOp):
        node.left, lk = _fold(node.left)
        node.right, rk = _fold(node.right)
        if isinstance(node.op, (ast.Add, ast.Sub)):
            if lk == rk == "zero":
                return _zero(), "zero"
            if rk == "zero":
                return node.left, lk
            if lk == "zero":
                right = (
                    node.right
                    if isinstance(node.op, ast.Add)
                    else ast.UnaryOp(ast.USub(), node.right)
                )
                return right, rk
        if isinstance(node.op, (ast.Mult, ast.MatMult)) and "zero" in (lk, rk):
            return _zero(), "zero"
        if isinstance(node.op, (ast.Div, ast.Mod)) and lk == "zero":
            return _zero(), "zero"
        return node, "tangent" if "tangent" in (lk, rk) else "const"
    if isinstance(node, ast.UnaryOp):
        node.operand, k = _fold(node.operand)
        return (_zero(), "zero") if k == "zero" else (node, k)
    if isinstance(node, ast.Call):
        kinds = []
        for i, arg in enumerate(node.args):
            node.args[i], k = _fold(arg)
            kinds.append(k)
        for kw in node.keywords:
            kw.value, k = _fold(kw.value)
            kinds.append(k)
        carrying = [k for k in kinds if k != "const"]
        if carrying and all(k == "zero" for k in carrying):
            return _zero(), "zero"
        return node, "tangent" if "tangent" in carrying else "const"
    kinds = {
        _fold(child)[1] for child in ast.iter_child_nodes(node) if isinstance(child, ast.expr)
    }
    return node, "tangent" if "tangent" in kinds else "const"


_JVP_CACHE = {}


def compile_tangent(tpl, active):
    """``f(result, *params, *tangents)`` from a tangent template (test-only evaluator).

    Mirrors the compiler: an inactive parameter's ``d[p]`` reads ``0.0``, and in
    ``d[result] = ...`` those zeros are folded away (``x * 0.0`` -> 0, ``a + 0.0``
    -> ``a``, a call whose tangent arguments are all zero -> 0).
    """
    key = (id(tpl), frozenset(active))
    fn = _JVP_CACHE.get(key)
    if fn is not None:
        return fn
    # the template as every consumer reads it: parsed once (a derived tangent has no
    # source of its own)
    fdef = gast.gast_to_ast(clone(tpl.tree))
    body = []
    for stmt in fdef.body:
        is_out = _d_name(stmt.targets[0]) == tpl.result
        stmt = _ToJvp(tpl.result, set(active)).visit(stmt)
        if is_out:
            stmt.value = _fold(stmt.value)[0]
        body.append(stmt)
    names = [tpl.result] + tpl.params + ["_t_" + p for p in tpl.params]
    mod = ast.parse(f"def _jvp({', '.join(names)}):\n    pass\n")
    mod.body[0].body = body + [ast.Return(ast.Name("_out", ast.Load()))]
    ast.fix_missing_locations(mod)
    namespace = dict(tpl.fn.__globals__)
    exec(compile(mod, f"<tangent of {tpl.fn.__qualname__}>", "exec"), namespace)
    fn = _JVP_CACHE[key] = namespace["_jvp"]
    return fn


def jvp(prim, args, kwargs, tangents):
    """The rule's tangent of ``prim`` for ``tangents`` ({key: tangent})."""
    rule = registry.lookup(prim)
    params = _params(prim, rule)
    if rule.tangent is None:
        # a linear rule: the primitive applied to the tangents, zeros for inactive
        # arguments in which it is linear (what the compiler passes)
        a, k = args, kwargs
        for key in list(range(len(args))) + list(kwargs):
            if key in tangents:
                a, k = put(a, k, key, tangents[key])
            elif _locate_name(params, args, kwargs, key) in rule.linear:
                a, k = put(a, k, key, zeros_like(get(args, kwargs, key)))
        return prim(*a, **k)
    tpl = rule.tangent
    result = prim(*args, **kwargs)
    bound = tpl.bind(args, kwargs)
    ts = {p: 0.0 for p in tpl.params}
    if tpl.vararg is not None:
        ts[tpl.vararg] = tuple(0.0 for _ in bound[tpl.vararg])
    for key, t in tangents.items():
        name, k = locate(tpl, args, kwargs, key)
        if k is None:
            ts[name] = t
        else:
            ts[name] = ts[name][:k] + (t,) + ts[name][k + 1 :]
    active = {locate(tpl, args, kwargs, key)[0] for key in tangents}
    fn = compile_tangent(tpl, active)
    return fn(result, *[bound[p] for p in tpl.params], *[ts[p] for p in tpl.params])


def _params(prim, rule):
    tpl = rule.adjoint or rule.tangent
    if tpl is not None:
        return tpl
    return registry.Template(_signature_fn(prim), "linear")


def _signature_fn(prim):
    """A stand-in template function with ``prim``'s parameters (for binding only)."""
    sig = inspect.signature(prim)
    params = [inspect.Parameter("__result__", inspect.Parameter.POSITIONAL_ONLY)]
    params += list(sig.parameters.values())
    fn = lambda *a, **k: None  # noqa: E731
    fn.__signature__ = sig.replace(parameters=params)
    return fn


def _locate_name(tpl, args, kwargs, key):
    return locate(tpl, args, kwargs, key)[0]


def fd_jvp(prim, args, kwargs, tangents, transform=None):
    """Central differences of ``prim`` along ``tangents``, flattened."""
    vals = []
    for s in (1.0, -1.0):
        a, k = args, kwargs
        for key, t in tangents.items():
            x = get(a, k, key)
            a, k = put(a, k, key, unflat(flat(x) + s * EPS * flat(t), x))
        if transform is not None:
            a, k = transform(a, k)
        vals.append(flat(_plain(prim(*a, **k))))
    return (vals[0] - vals[1]) / (2 * EPS)


def _plain(y):
    if isinstance(y, (list, tuple)):
        return [_plain(v) for v in y]
    return y
