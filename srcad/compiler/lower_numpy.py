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

* NumPy's output arguments.  A positional one (``np.sin(x, y)``, ``np.add(a, b,
  c)``, ``np.cumsum(a, 0, None, c)``) becomes ``out=``; then a statement
  ``F(..., out=o)`` becomes ``o[...] = F(...)`` and ``t = F(..., out=o)`` becomes
  ``o[...] = F(...)`` then ``t = o``: the write into ``o`` is an assignment into
  an array, which the compiler differentiates (a call with ``out=`` read as a
  plain call gave wrong gradients: ``o`` kept its old dependence).  ``o`` must be
  a name; ``out=`` inside a larger expression, with ``where=``, or with several
  outputs is refused.  Only NumPy callables and methods of values are touched.
* ``np.copyto(dst, src)`` becomes ``dst[...] = src`` and ``np.copyto(dst, src,
  where=m)`` becomes ``dst[...] = np.where(m, src, dst)`` (``dst`` a name, no
  ``casting=``): run as a plain call, the write carried no gradient.  NumPy's other
  writing functions (``np.put``, ``np.add.at``, ...) are refused on active values
  by the normalizer.
* Tangent's stack primitives, as Tangent's own corpus and generated code use them:
  ``tangent.Stack()`` becomes ``[]``, ``tangent.push(stack, x, op_id)`` becomes
  ``stack.append(_srcad_rt.stack_copy(x))`` (Tangent's push stores a copy of an
  array or list) and ``tangent.pop(stack, op_id)`` becomes ``stack.pop()``: the
  compiler differentiates list appends and pops, so a value that goes through
  the stack keeps its gradient.  Tangent's check that a pop's ``op_id`` matches
  its push is dropped; the ``op_id`` must be a name or a constant (nothing whose
  evaluation could matter).  Recognized by where the objects come from: a module
  named ``tangent`` (or under it) and the names ``Stack``/``push``/``pop``.

Only names that resolve to NumPy's ``r_``/``c_`` objects, the builtin ``dict``
(under any name) and Tangent's stack are touched; a local variable that shadows
them is left alone.
"""

import gast
import numpy as np

from ..runtime.core import numpy_out_position
from .astutil import walk
from .vocab import bare_method_receiver
from .vocab import const as _const
from .vocab import name as _name

RT_NAME = "_srcad_rt"
NP_NAME = "_srcad_np"  # NumPy itself, for what a lowering writes with it (np.where)


def lower(fdef, parsed, resolver, namer=None):
    """Rewrite ``fdef``'s body in place (returns ``fdef``)."""
    _bind_defaults(fdef, parsed, namer)
    if not _worth_it(fdef):
        return fdef
    lw = _Lower(parsed, resolver)
    body = []
    for s in fdef.body:
        new = lw.visit(s)
        lw.refuse_pending_out(s)
        body += new if isinstance(new, list) else [new]
    fdef.body = body
    if lw.used_np:
        parsed.closure.setdefault(NP_NAME, np)
        if namer is not None:
            namer.reserve(NP_NAME)
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
        if isinstance(n, gast.Call):
            return True  # dict(...), a positional out, Tangent's stack
        if isinstance(n, gast.For):
            return True
    return False


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
        self.used_np = False
        self.outs = []  # calls with out= not yet rewritten by their statement

    # -- out= ---------------------------------------------------------------------------

    def visit_Expr(self, node):  # F(x, out=o)  ->  o[...] = F(x)
        self.generic_visit(node)
        copy = self._copyto(node)
        if copy is not None:
            return copy
        target = self._take_out(node.value)
        return node if target is None else _write_into(target, node.value, node)

    def visit_Assign(self, node):  # t = F(x, out=o)  ->  o[...] = F(x); t = o
        self.generic_visit(node)
        target = self._take_out(node.value)
        if target is None:
            return node
        write = _write_into(target, node.value, node)
        node.value = _name(target.id)
        return [write, node]

    def _copyto(self, node):
        """``np.copyto(dst, src)`` (a name, no ``casting=``/``where=``) -> ``dst[...] = src``:
        a write the compiler differentiates.  Other forms are refused on active values
        by the normalizer, with NumPy's other writing functions."""
        call = node.value
        if not (
            isinstance(call, gast.Call)
            and len(call.args) == 2
            and all(k.arg == "where" for k in call.keywords)
            and isinstance(call.args[0], gast.Name)
            and not any(isinstance(a, gast.Starred) for a in call.args)
        ):
            return None
        ok, obj = self.resolver.value(call.func)
        if not ok or obj is not np.copyto:
            return None
        dst, src = call.args
        if call.keywords:  # where=m: dst[...] = np.where(m, src, dst)
            self.used_np = True
            where = gast.Attribute(_name(NP_NAME), "where", gast.Load())
            src = gast.Call(where, [call.keywords[0].value, src, _name(dst.id)], [])
        return _write_into(dst, src, node)

    def _take_out(self, value):
        """The ``out=`` name of a call that a statement holds directly (the keyword is
        removed from the call), or None."""
        if not any(c is value for c in self.outs):
            return None
        self.outs = [c for c in self.outs if c is not value]
        kw = [k for k in value.keywords if k.arg == "out"]
        target = kw[0].value
        if isinstance(target, gast.Tuple) and len(target.elts) == 1:
            target = target.elts[0]
        if not isinstance(target, gast.Name) or any(k.arg == "where" for k in value.keywords):
            self.outs.append(value)  # refused below
            return None
        value.keywords = [k for k in value.keywords if k.arg != "out"]
        return target

    def refuse_pending_out(self, stmt):
        if self.outs:
            call = self.outs[0]
            raise self.parsed.error(
                call if getattr(call, "lineno", None) is not None else stmt,
                "a NumPy call with out= that srcad does not rewrite (inside a larger "
                "expression, with where=, several outputs, or an output that is not a name)",
                "assign the result instead (y = np.sin(x), or o[...] = np.sin(x) to write "
                "into an existing array o)",
            )

    def _refuse_unpacked(self, call, obj):
        """``np.multiply(*pair, c)``: whether an output argument hides in the unpacked
        arguments cannot be known before the call runs."""
        if isinstance(obj, np.ufunc) or numpy_out_position(obj) is not None:
            raise self.parsed.error(
                call,
                f"*args or **kwargs in a call of `{getattr(obj, '__name__', 'a NumPy function')}`,"
                " which takes an output argument (srcad cannot tell whether one is passed)",
                "pass the arguments one by one",
            )

    def _note_out(self, call):
        kw = [k for k in call.keywords if k.arg == "out"]
        if not kw or (isinstance(kw[0].value, gast.Constant) and kw[0].value.value is None):
            call.keywords = [k for k in call.keywords if k.arg != "out"]  # out=None
            return
        self.outs.append(call)

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
        if not isinstance(node.func, (gast.Name, gast.Attribute)):
            return node
        ok, obj = self.resolver.value(node.func)
        if not ok:
            if isinstance(node.func, gast.Attribute):
                self._note_out(node)  # a method of a value: x.clip(0, 1, out=y)
            return node
        if _is_numpy(obj):
            if _unpacked(node):
                self._refuse_unpacked(node, obj)
                return node
            _positional_out(node, obj)  # np.sin(x, y) -> np.sin(x, out=y)
            self._note_out(node)
            return node
        kind = _tangent_stack_kind(obj)
        if kind is not None:
            new = self._tangent_stack(kind, node)
            return gast.copy_location(new, node) if new is not None else node
        if obj is not dict or not isinstance(node.func, gast.Name):
            return node
        display = _dict_display(node)
        return gast.copy_location(display, node) if display is not None else node

    def _tangent_stack(self, kind, call):
        """``Stack()`` -> ``[]``; ``push(s, x, id)`` -> ``s.append(stack_copy(x))``;
        ``pop(s, id)`` -> ``s.pop()``; None for any other form (left as written)."""
        args = call.args
        if call.keywords or any(isinstance(a, gast.Starred) for a in args):
            return None
        if kind == "Stack":
            return gast.List([], gast.Load()) if not args else None
        want = 3 if kind == "push" else 2
        if len(args) != want or not isinstance(args[-1], (gast.Name, gast.Constant)):
            return None
        stack = args[0]
        if kind == "pop":
            return gast.Call(gast.Attribute(stack, "pop", gast.Load()), [], [])
        self.used_rt = True
        value = gast.Call(gast.Attribute(_name(RT_NAME), "stack_copy", gast.Load()), [args[1]], [])
        return gast.Call(gast.Attribute(stack, "append", gast.Load()), [value], [])


def _is_numpy(obj):
    module = getattr(obj, "__module__", None) or ""
    return isinstance(obj, np.ufunc) or module.split(".", 1)[0] == "numpy"


def _write_into(target, value, stmt):
    """``target[...] = value``, at ``stmt``'s line."""
    index = gast.Subscript(_name(target.id), _const(Ellipsis), gast.Store())
    write = gast.copy_location(gast.Assign([index], value, None), stmt)
    return gast.fix_missing_locations(write)  # a refusal of the write names this line


def _unpacked(call):
    return any(isinstance(a, gast.Starred) for a in call.args) or any(
        k.arg is None for k in call.keywords
    )


def _positional_out(call, obj):
    """Move a NumPy output argument given by position (``np.sin(x, y)``,
    ``np.add(a, b, c)``, ``np.cumsum(a, 0, None, c)``) to ``out=``, in place on
    ``call``, so that the compiler sees the write (a positional ``out`` read as an
    input gave wrong gradients)."""
    if isinstance(obj, np.ufunc):
        if len(call.args) <= obj.nin:
            return
        outs = call.args[obj.nin :]
        value = outs[0] if len(outs) == 1 else gast.Tuple(outs, gast.Load())
        call.args = call.args[: obj.nin]
        call.keywords = list(call.keywords) + [gast.keyword("out", value)]
        return
    pos = numpy_out_position(obj)
    if pos is None or len(call.args) <= pos:
        return
    value = call.args[pos]
    call.args = call.args[:pos] + call.args[pos + 1 :]
    call.keywords = list(call.keywords) + [gast.keyword("out", value)]
    return


_TANGENT_STACK = ("Stack", "push", "pop")


def _tangent_stack_kind(obj):
    """``"Stack"``, ``"push"`` or ``"pop"`` for Tangent's stack primitives, else None."""
    name = getattr(obj, "__name__", None)
    if name not in _TANGENT_STACK or not callable(obj):
        return None
    module = getattr(obj, "__module__", None) or ""
    if module.split(".", 1)[0] != "tangent":
        return None
    return name


def _pair(node):
    return isinstance(node, (gast.Tuple, gast.List)) and len(node.elts) == 2


def _items_call(node):
    return bare_method_receiver(node, "items") is not None


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
