"""Name resolution and activity analysis.

A name is *active* when its value depends differentiably on a ``wrt`` input.
The analysis is flow-insensitive (a name is active if any assignment to it is),
which is conservative and simple; inactive code is left exactly as the user
wrote it.
"""

import inspect

import gast

from ..rules import registry
from .astutil import walk
from .vocab import dotted

# Attributes and methods of arrays that never carry a gradient.
NONDIFF_ATTRS = {"shape", "ndim", "size", "dtype", "itemsize", "nbytes", "strides", "device"}
NONDIFF_METHODS = {
    "argmax",
    "argmin",
    "argsort",
    "nonzero",
    "any",
    "all",
    "tolist_shape",
    "keys",
    "index",
    "count",
    "startswith",
    "endswith",
    "format",
    "get_shape",
    "__len__",
}
NONDIFF_OPS = (gast.FloorDiv, gast.BitAnd, gast.BitOr, gast.BitXor, gast.LShift, gast.RShift)


def method_table():
    """``(METHODS, ATTRIBUTES)``: array method/attribute names -> primitives with rules."""
    from ..rules import builtins_and_methods as bm  # the rule family owns the table

    return getattr(bm, "METHODS", {}), getattr(bm, "ATTRIBUTES", {})


def param_names(fdef):
    """Names of every parameter (positional-only, positional, keyword-only)."""
    a = fdef.args
    return [n.id for n in list(getattr(a, "posonlyargs", []) or []) + a.args + a.kwonlyargs]


def assigned_names(fdef):
    """Every name the function binds (parameters included)."""
    names = set(param_names(fdef))
    if fdef.args.vararg is not None:
        names.add(fdef.args.vararg.id)
    if fdef.args.kwarg is not None:
        names.add(fdef.args.kwarg.id)
    for node in walk(fdef):
        if isinstance(node, gast.Name) and isinstance(node.ctx, (gast.Store, gast.Del)):
            names.add(node.id)
    return names


class Resolver:
    """Finds the Python object a call refers to, at transform time."""

    def __init__(self, parsed, local_names):
        self.parsed = parsed
        self.locals = set(local_names)
        args = parsed.fdef.args
        first = (list(getattr(args, "posonlyargs", []) or []) + args.args)[:1]
        self.self_name = first[0].id if first else None

    def chain(self, node):
        """``np.linalg.norm`` -> ['np', 'linalg', 'norm'] (None if not a dotted name)."""
        return dotted(node)

    def value(self, node):
        """``(True, obj)`` for a dotted name of a global/closure object, else ``(False, None)``."""
        parts = self.chain(node)
        if parts is None:
            return False, None
        bound = getattr(self.parsed, "bound_self", None)
        if bound is not None and parts[0] == self.self_name:
            ok, obj = True, bound  # `self` in a method of an object srcad was handed
        elif parts[0] in self.locals:
            return False, None
        else:
            ok, obj = self.parsed.lookup(parts[0])
        if not ok:
            return False, None
        for attr in parts[1:]:
            try:
                obj = getattr(obj, attr)
            except AttributeError:
                return False, None
        return True, obj

    def call_kind(self, call):
        """Classify a Call: ('prim', obj) | ('user', fn) | ('method', name) | ('opaque', obj)
        | ('local', None) | ('stop', None) | ('nondiff', obj)."""
        func = call.func
        ok, obj = self.value(func)
        if ok:
            return classify_object(obj)
        if isinstance(func, gast.Attribute) and not self.is_dotted_global(func.value):
            if func.attr in NONDIFF_METHODS:
                return ("nondiff", None)
            return ("method", func.attr)
        return ("local", None)

    def is_dotted_global(self, node):
        parts = self.chain(node)
        return (
            parts is not None and parts[0] not in self.locals and self.parsed.lookup(parts[0])[0]
        )


def classify_object(obj):
    from .. import api  # stop_gradient lives there

    target = getattr(getattr(obj, "__self__", None), "srcad_target", None)
    if target is not None:  # a trampoline to generated code (recursive calls)
        real = target(obj)
        if real is not None:
            obj = real

    if obj is api.stop_gradient:
        return ("stop", obj)
    rule = registry.lookup(obj)
    if rule is not None:
        return ("nondiff", obj) if rule.nondiff else ("prim", obj)
    if (
        inspect.ismethod(obj)
        and inspect.isfunction(obj.__func__)
        and obj.__name__ not in ("_call_fwd", "_call_bwd", "_call_jvp")
    ):
        return ("user", obj)  # a method of your own object: differentiated with self bound
    call = getattr(type(obj), "__call__", None)  # noqa: B004 - the class's own __call__
    if (
        not inspect.isfunction(obj)
        and not inspect.isclass(obj)
        and inspect.isfunction(call)
        and not hasattr(obj, "__srcad_source__")
    ):
        return ("user", obj.__call__)  # a callable object of your own class
    if inspect.isfunction(obj) or hasattr(obj, "__srcad_source__"):
        return ("user", obj)
    if inspect.isclass(obj):
        return ("opaque", obj)
    return ("opaque", obj)


class Activity:
    """Flow-insensitive forward activity over a function body."""

    def __init__(self, resolver, seeds, kinds=None):
        self.resolver = resolver
        self.active = set(seeds)
        self.kinds = kinds or {}
        self._walrus = True  # may a statement hold an assignment expression?

    def expr(self, node):
        """Is the value of expression ``node`` active?"""
        if node is None:
            return False
        if isinstance(node, gast.Name):
            return node.id in self.active
        if isinstance(node, gast.Constant):
            return False
        if isinstance(node, gast.Attribute):
            if node.attr in NONDIFF_ATTRS:
                return False
            ok, _ = self.resolver.value(node)
            return False if ok else self.expr(node.value)
        if isinstance(node, gast.Subscript):
            return self.expr(node.value)
        if isinstance(node, gast.BinOp):
            if isinstance(node.op, NONDIFF_OPS):
                return False
            return self.expr(node.left) or self.expr(node.right)
        if isinstance(node, gast.UnaryOp):
            if isinstance(node.op, (gast.Not, gast.Invert)):
                return False
            return self.expr(node.operand)
        if isinstance(node, gast.Lambda):
            return any(isinstance(n, gast.Name) and n.id in self.active for n in walk(node.body))
        if isinstance(node, gast.NamedExpr):
            return self.expr(node.value)
        if isinstance(node, (gast.Compare, gast.BoolOp, gast.JoinedStr)):
            return False
        if isinstance(node, gast.IfExp):
            return self.expr(node.body) or self.expr(node.orelse)
        if isinstance(node, gast.Call):
            kind, _ = self.resolver.call_kind(node)
            if kind in ("stop", "nondiff"):
                return False
            args = list(node.args) + [k.value for k in node.keywords]
            if isinstance(node.func, gast.Attribute) and kind == "method":
                args.append(node.func.value)
            if kind == "local":
                args.append(node.func)
            return any(self.expr(a) for a in args)
        if isinstance(node, (gast.Tuple, gast.List, gast.Set)):
            return any(self.expr(e) for e in node.elts)
        if isinstance(node, gast.Dict):
            return any(self.expr(v) for v in node.values)
        if isinstance(node, gast.Starred):
            return self.expr(node.value)
        if isinstance(node, (gast.ListComp, gast.GeneratorExp, gast.SetComp, gast.DictComp)):
            for gen in node.generators:
                if self.expr(gen.iter):
                    self._mark(gen.target)
            return any(isinstance(n, gast.Name) and n.id in self.active for n in walk(node))
        return any(isinstance(n, gast.Name) and n.id in self.active for n in walk(node))

    def run(self, body):
        """Iterate to a fixpoint over ``body``."""
        # (one walk here spares one per statement and nesting level and round)
        self._walrus = any(isinstance(n, gast.NamedExpr) for s in body for n in walk(s))
        while True:
            before = len(self.active)
            self._block(body, nograd=False)
            if len(self.active) == before:
                return self.active

    def _mark(self, target):
        if isinstance(target, gast.Name):
            self.active.add(target.id)
        elif isinstance(target, (gast.Tuple, gast.List)):
            for e in target.elts:
                self._mark(e)
        elif isinstance(target, gast.Subscript):
            base = target.value
            while isinstance(base, gast.Subscript):
                base = base.value
            if isinstance(base, gast.Name):
                self.active.add(base.id)
        elif isinstance(target, gast.Starred):
            self._mark(target.value)

    def _mark_loop_target(self, target, it):
        """``for i, x in enumerate(xs)``: only ``x`` may be active; ``zip`` pairs each
        target with its own iterable."""
        pair = isinstance(target, (gast.Tuple, gast.List))
        if self._yields_keys(it):
            return  # the keys of a dict are never active
        items_of = self._items_receiver(it)
        if items_of is not None and pair and len(target.elts) == 2:
            if self.expr(items_of):  # (key, value) pairs: only the value
                self._mark_loop_target(target.elts[1], items_of)
            return
        if isinstance(it, gast.Call) and pair and not it.keywords:
            ok, obj = self.resolver.value(it.func)
            if ok and obj is enumerate and len(target.elts) == 2 and it.args:
                self._mark_loop_target(target.elts[1], it.args[0])
                return
            if ok and obj is zip and len(target.elts) == len(it.args):
                for t, a in zip(target.elts, it.args):
                    self._mark_loop_target(t, a)
                return
        if self.expr(it):
            self._mark(target)

    def _unwrap_order(self, it):
        """``sorted(e)``, ``list(e)``, ``reversed(e)``, ``tuple(e)``, ``iter(e)`` -> ``e``:
        the same elements, in another order or container."""
        while isinstance(it, gast.Call) and len(it.args) == 1:
            ok, obj = self.resolver.value(it.func)
            if not (ok and obj in (sorted, list, reversed, tuple, iter)):
                break
            it = it.args[0]
        return it

    def _yields_keys(self, it):
        """Iterating over ``it`` gives the keys of a dict (``d``, ``d.keys()``, sorted)."""
        it = self._unwrap_order(it)
        if isinstance(it, gast.Name):
            return self.kinds.get(it.id) == "dict"
        return (
            isinstance(it, gast.Call)
            and not it.args
            and isinstance(it.func, gast.Attribute)
            and it.func.attr == "keys"
        )

    def _items_receiver(self, it):
        """``d`` when iterating over ``it`` gives ``d``'s (key, value) pairs."""
        it = self._unwrap_order(it)
        if (
            isinstance(it, gast.Call)
            and not it.args
            and isinstance(it.func, gast.Attribute)
            and it.func.attr == "items"
        ):
            return it.func.value
        return None

    def _block(self, stmts, nograd):
        for s in stmts:
            self._stmt(s, nograd)

    def _stmt(self, s, nograd):
        if not nograd and self._walrus:
            # an assignment expression anywhere in the statement binds its name
            for n in walk(s):
                if isinstance(n, gast.NamedExpr) and self.expr(n.value):
                    self._mark(n.target)
        if isinstance(s, gast.Assign):
            if not nograd and self.expr(s.value):
                for t in s.targets:
                    self._mark(t)
        elif isinstance(s, gast.AugAssign):
            if not nograd and (self.expr(s.value) or self.expr(s.target)):
                if not isinstance(s.op, NONDIFF_OPS):
                    self._mark(s.target)
        elif isinstance(s, gast.AnnAssign):
            if not nograd and s.value is not None and self.expr(s.value):
                self._mark(s.target)
        elif isinstance(s, gast.For):
            it = s.iter
            if isinstance(it, gast.Name) and self.kinds.get(it.id) == "dict":
                pass  # iterating over a dict yields its keys: never active
            elif (
                isinstance(it, gast.Call)
                and isinstance(it.func, gast.Attribute)
                and (it.func.attr == "items" and isinstance(s.target, (gast.Tuple, gast.List)))
            ):
                if not nograd and self.expr(it.func.value):
                    self._mark(s.target.elts[-1])
            elif not nograd:
                self._mark_loop_target(s.target, it)
            self._block(s.body, nograd)
            self._block(s.orelse, nograd)
        elif isinstance(s, (gast.While, gast.If)):
            self._block(s.body, nograd)
            self._block(s.orelse, nograd)
        elif isinstance(s, gast.FunctionDef):
            # a nested def is inlined as the lambda it is (normalize.py): active as that
            # lambda would be, so that this analysis and the one after normalization
            # agree on its calls (a call kept whole as inactive was differentiated as
            # a call of a local function afterwards)
            body = [n for b in s.body for n in walk(b)]
            if not nograd and any(isinstance(n, gast.Name) and n.id in self.active for n in body):
                self.active.add(s.name)
        elif isinstance(s, gast.With):
            self._block(s.body, nograd or is_no_grad_with(s, self.resolver))
        elif isinstance(s, gast.Expr) and isinstance(s.value, gast.Call):
            func = s.value.func
            if (
                not nograd
                and isinstance(func, gast.Attribute)
                and func.attr in ("append", "extend", "insert")
                and any(self.expr(a) for a in s.value.args)
            ):
                self._mark(func.value)


def is_no_grad_with(s, resolver):
    for item in s.items:
        ctx = item.context_expr
        if isinstance(ctx, gast.Call):
            ok, obj = resolver.value(ctx.func)
            if (
                ok
                and getattr(obj, "__name__", "") == "no_grad"
                and getattr(obj, "__module__", "").startswith("srcad")
            ):
                return True
    return False


def is_insert_grad_with(s, resolver):
    from .. import api

    if len(s.items) != 1:
        return False
    ctx = s.items[0].context_expr
    if isinstance(ctx, gast.Call):
        ok, obj = resolver.value(ctx.func)
        return ok and obj is api.insert_grad_of
    return False


def loaded_names(nodes):
    """Names read anywhere in ``nodes``."""
    out = set()
    for n in nodes:
        for m in walk(n):
            if isinstance(m, gast.Name) and isinstance(m.ctx, gast.Load):
                out.add(m.id)
    return out
