"""Lower NumPy and builtin idioms that are not plain calls into calls the rules cover.

Design note.  Some things people write are not calls of a primitive, so no rule
can be registered for them as written.  This pass rewrites them, on the clone of
the function's tree, before the body is put in one-operation form:

* ``np.r_[a, 1:3, b]`` and ``np.c_[...]`` (subscripts of index-trick objects)
  become ``_srcad_rt.r_concat((a, slice(1, 3, None), b))`` (``c_concat``), the
  runtime helpers with rules in ``rules/numpy_extra.py``.  ``_srcad_rt`` is
  srcad's runtime, bound for this function as a closure name, so the resolver
  finds it and the generated code reads it.
* a parameter default that is an expression (``def f(x, n=n)``, ``k=np.pi / 2``)
  is replaced by the value Python already computed for it, bound as a closure
  name: the generated code lives in another namespace, where the expression may
  not mean the same thing or not exist at all.
* ``for k, v in sorted(d.items(), key=..., reverse=...)`` (also under
  ``enumerate``) becomes ``for k in _srcad_rt.sorted_item_keys(d, key, reverse):``
  with ``v = d[k]`` first in the body: the order is computed on the values and
  carries no gradient, the values are read from the dict as the compiler does for
  ``d.items()``.
* ``dict(a=x, b=y)``, ``dict({...})``, ``dict([("k", v), ...], k2=w)`` with keys
  written out become the dict display ``{"a": x, ...}``, which the compiler
  differentiates like any other display.  Other forms (``dict(zip(...))``) are
  left alone (and refused on active values, with the reason).

Only names that resolve to NumPy's ``r_``/``c_`` objects and the builtin ``dict``
(under any name) are touched; a local variable that shadows them is left alone.
"""

import gast
import numpy as np

from .astutil import walk

RT_NAME = "_srcad_rt"


def lower(fdef, parsed, resolver, namer=None):
    """Rewrite ``fdef``'s body in place (returns ``fdef``)."""
    _bind_defaults(fdef, parsed, namer)
    if not _worth_it(fdef):
        return fdef
    lw = _Lower(parsed, resolver)
    fdef.body = [lw.visit(s) for s in fdef.body]
    if lw.used_rt:
        from .. import runtime

        parsed.closure.setdefault(RT_NAME, runtime)
        if namer is not None:
            namer.reserve(RT_NAME)
    return fdef


def _bind_defaults(fdef, parsed, namer):
    fn = getattr(parsed.fn, "__func__", parsed.fn)
    args = fdef.args
    values = list(getattr(fn, "__defaults__", None) or ())
    kwvalues = getattr(fn, "__kwdefaults__", None) or {}
    if len(values) != len(args.defaults):
        return  # not the function the tree came from (srcad's own wrappers): leave it
    for i, (node, value) in enumerate(zip(args.defaults, values)):
        args.defaults[i] = _default_ref(node, value, parsed, namer)
    for i, (p, node) in enumerate(zip(args.kwonlyargs, args.kw_defaults)):
        if node is not None and p.id in kwvalues:
            args.kw_defaults[i] = _default_ref(node, kwvalues[p.id], parsed, namer)


def _default_ref(node, value, parsed, namer):
    if isinstance(node, gast.Constant):
        return node
    k = 0
    while parsed.closure.get(f"_srcad_default{k}", value) is not value:
        k += 1
    ref = f"_srcad_default{k}"
    parsed.closure[ref] = value
    if namer is not None:
        namer.reserve(ref)
    return gast.copy_location(_name(ref), node)


def _worth_it(fdef):
    for n in walk(fdef):
        if isinstance(n, gast.Subscript) and isinstance(n.value, gast.Attribute):
            if n.value.attr in ("r_", "c_"):
                return True
        if isinstance(n, gast.Call) and isinstance(n.func, gast.Name):
            return True  # dict(...) under any name
        if isinstance(n, gast.For):
            return True
    return False


def _name(id_):
    return gast.Name(id_, gast.Load(), None, None)


def _const(v):
    return gast.Constant(v, None)


def _item(node):
    """An entry of an index-trick subscript as a value (``1:3`` -> ``slice(1, 3, None)``)."""
    if isinstance(node, gast.Slice):
        parts = [p if p is not None else _const(None) for p in (node.lower, node.upper, node.step)]
        return gast.Call(_name("slice"), parts, [])
    return node


class _Lower(gast.NodeTransformer):
    def __init__(self, parsed, resolver):
        self.parsed = parsed
        self.resolver = resolver
        self.used_rt = False

    # nested functions and lambdas keep their own scopes: leave them as written
    def visit_FunctionDef(self, node):
        return node

    def visit_Lambda(self, node):
        return node

    def visit_Subscript(self, node):
        self.generic_visit(node)
        if not isinstance(node.ctx, gast.Load) or not isinstance(node.value, gast.Attribute):
            return node
        ok, obj = self.resolver.value(node.value)
        if not ok:
            return node
        helper = "r_concat" if obj is np.r_ else "c_concat" if obj is np.c_ else None
        if helper is None:
            return node
        entries = node.slice.elts if isinstance(node.slice, gast.Tuple) else [node.slice]
        if any(isinstance(e, gast.Starred) for e in entries):
            return node
        items = gast.Tuple([_item(e) for e in entries], gast.Load())
        self.used_rt = True
        new = gast.Call(gast.Attribute(_name(RT_NAME), helper, gast.Load()), [items], [])
        return gast.copy_location(new, node)

    def visit_For(self, node):
        self.generic_visit(node)
        target, it = node.target, node.iter
        enum = None
        if self._is(it, enumerate) and len(it.args) >= 1 and _pair(target):
            enum, target, it = it, target.elts[1], it.args[0]
        if not (_pair(target) and all(isinstance(e, gast.Name) for e in target.elts)):
            return node
        if not (self._is(it, sorted) and len(it.args) == 1 and _items_call(it.args[0])):
            return node
        kw = {k.arg: k.value for k in it.keywords}
        if set(kw) - {"key", "reverse"}:
            return node
        d = it.args[0].func.value
        k, v = target.elts
        self.used_rt = True
        keys = gast.Call(
            gast.Attribute(_name(RT_NAME), "sorted_item_keys", gast.Load()),
            [d, kw.get("key", _const(None)), kw.get("reverse", _const(False))],
            [],
        )
        read = gast.Assign(
            [gast.Name(v.id, gast.Store(), None, None)],
            gast.Subscript(_copy_name(d), _name(k.id), gast.Load()),
            None,
        )
        gast.copy_location(read, node)
        new_target = gast.Name(k.id, gast.Store(), None, None)
        if enum is not None:
            new_iter = gast.Call(enum.func, [keys] + list(enum.args[1:]), list(enum.keywords))
            new_target = gast.Tuple([node.target.elts[0], new_target], gast.Store())
        else:
            new_iter = keys
        node.target, node.iter = new_target, new_iter
        node.body = [read] + list(node.body)
        return node

    def _is(self, node, obj):
        if not isinstance(node, gast.Call):
            return False
        ok, found = self.resolver.value(node.func)
        return ok and found is obj

    def visit_Call(self, node):
        self.generic_visit(node)
        if not isinstance(node.func, gast.Name):
            return node
        ok, obj = self.resolver.value(node.func)
        if not ok or obj is not dict:
            return node
        display = _dict_display(node)
        return gast.copy_location(display, node) if display is not None else node


def _pair(node):
    return isinstance(node, (gast.Tuple, gast.List)) and len(node.elts) == 2


def _items_call(node):
    return (
        isinstance(node, gast.Call)
        and isinstance(node.func, gast.Attribute)
        and node.func.attr == "items"
        and isinstance(node.func.value, gast.Name)
        and not node.args
        and not node.keywords
    )


def _copy_name(node):
    return gast.Name(node.id, gast.Load(), None, None)


def _dict_display(call):
    """``dict(...)`` with every key written out, as a dict display; else None."""
    keys, values = [], []
    if len(call.args) > 1:
        return None
    if call.args:
        arg = call.args[0]
        if isinstance(arg, gast.Dict):
            if any(k is None for k in arg.keys):
                return None
            keys += list(arg.keys)
            values += list(arg.values)
        elif isinstance(arg, (gast.List, gast.Tuple)):
            for e in arg.elts:
                if not (isinstance(e, (gast.Tuple, gast.List)) and len(e.elts) == 2):
                    return None
                k, v = e.elts
                if not isinstance(k, gast.Constant):
                    return None
                keys.append(k)
                values.append(v)
        else:
            return None
    for kw in call.keywords:
        if kw.arg is None:
            return None
        keys.append(_const(kw.arg))
        values.append(kw.value)
    # a key repeated keeps its last value (dict semantics), in first-seen order
    order, last = [], {}
    for k, v in zip(keys, values):
        kv = k.value if isinstance(k, gast.Constant) else None
        if not isinstance(k, gast.Constant):
            return None
        if kv not in last:
            order.append(kv)
        last[kv] = v
    return gast.Dict([_const(k) for k in order], [last[k] for k in order])
