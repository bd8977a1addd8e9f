"""Forward mode: tangent statements interleaved with the primal.

Every active statement ``t = op(args)`` is followed by ``dt = <tangent of op>``.
Tangent rules come from the same registry as the reverse rules: a ``@tangent``
template, or, for a primitive declared linear in some parameters, the primitive
itself applied to the tangents.  Additive terms of a tangent template whose
``d[x]`` belongs to an inactive argument are dropped, so ``y = a * W`` with only
``a`` active gives ``dy = da * W``.
"""

import gast

from ..rules import registry
from ..rules.registry import d_target
from .astutil import clone, mentions, walk
from .templates import inline
from .transform import Transform, callee_name, runtime
from .vocab import (
    OP_NODES,
    assign,
    attr,
    call,
    const,
    index_expr,
    name,
    store,
)


class Forward(Transform):
    """Forward mode on a normalized function: ``block`` writes the primal statements
    with their tangents (see the module note)."""

    comment_label = "Tangent of"

    def __init__(self, parsed, fdef, namer, resolver, active, ns, tan, jvp_hook):
        super().__init__(parsed, fdef, namer, resolver, active, ns)
        self.tan = tan  # name -> tangent name
        self.jvp_hook = jvp_hook  # (fn, active_params) -> deferred with .jvp
        self.nograd = False

    def tangent_of(self, node):
        return name(self.tan(node.id)) if self.is_active(node) else const(0.0)

    def block(self, stmts):
        return self.each(stmts, self.stmt)

    def stmt(self, s):
        if isinstance(s, gast.Assign):
            if self.kind(s) == "setitem":
                return self.setitem(s)
            if isinstance(s.targets[0], gast.Name):
                return self.element_check(s) + self.assign(s)
            return [s]
        if isinstance(s, gast.Expr) and self.kind(s) == "append":
            lst = s.value.func.value
            item = s.value.args[0]
            if not self.is_active(lst):
                return [s]
            dv = self.tangent_of(item) if self.is_active(item) else self.rt("zeros_like", item)
            return [s, gast.Expr(call(attr(name(self.tan(lst.id)), "append"), [dv]))]
        if isinstance(s, gast.Expr) and self.kind(s) == "restore":
            x, idx, old = s.value.args
            if not self.is_active(x):
                return [s]
            dold = self.tangent_of(old) if self.is_active(old) else const(0.0)
            dx = self.tan(x.id)
            return [
                s,
                assign(
                    dx,
                    self.rt("restore_tangent", name(dx), name(x.id), clone(idx), clone(old), dold),
                    None,
                ),
            ]
        if isinstance(s, gast.Expr) and self.kind(s) == "pop":
            lst = s.value.func.value
            return [s, gast.Expr(call(attr(name(self.tan(lst.id)), "pop"), []))]
        if isinstance(s, gast.If):
            return [gast.If(s.test, self.block(s.body), self.block(s.orelse))]
        if isinstance(s, gast.For):
            return [gast.For(s.target, s.iter, self.block(s.body), [], None)]
        if isinstance(s, gast.While):
            return [gast.While(s.test, self.block(s.body), [])]
        if isinstance(s, gast.With):
            kind = self.kind(s)
            if kind == "insert_grad":
                return []
            if kind == "no_grad":
                prev, self.nograd = self.nograd, True
                out = self.block(s.body)
                self.nograd = prev
                return out
        return [s]

    def assign(self, s):
        t = s.targets[0].id
        v = s.value
        if t not in self.active or isinstance(v, gast.Lambda):
            return [s]  # (a lambda is inlined where it is called: its value has no tangent)
        dt = self.tan(t)
        nondiff = isinstance(v, (gast.Compare, gast.BoolOp)) or (
            isinstance(v, gast.UnaryOp) and isinstance(v.op, (gast.Not, gast.Invert))
        )
        if self.nograd or nondiff or not mentions(v, self.active):
            return [s, assign(dt, self.rt("zeros_like", name(t)), None)]
        if isinstance(v, gast.IfExp):
            return self.conditional(s, t, dt)
        if isinstance(v, gast.Call):
            kind, fn = self.resolver.call_kind(v)
            if kind == "user":
                return self.user_call(s, t, dt, fn)
            if kind in ("nondiff", "stop"):
                return [s, assign(dt, self.rt("zeros_like", name(t)), None)]
        operands = {n.id for n in walk(v) if isinstance(n, gast.Name)}
        if t in operands:
            tmp = self.namer.fresh(t + "_new")
            primal = [assign(tmp, v, None)]
            res = name(tmp)
        else:
            primal = [s]
            res = name(t)
        expr, pre = self.tangent_expr(s, v, res)
        dtmp = self.namer.fresh(dt + "_new") if t in operands else dt
        code = primal + pre
        code.append(assign(dtmp, expr if expr is not None else self.rt("zeros_like", res), None))
        if t in operands:
            code += [assign(t, name(tmp), None), assign(dt, name(dtmp), None)]
        c = self.comment(s)
        return ([c] if c else []) + code

    def conditional(self, s, t, dt):
        """``t = a if c else b`` -> ``dt = da if c else db``, the test evaluated once.

        Normalization lowers a conditional expression with active branches into an
        ``if`` statement; one left whole has inactive branches (an active value may
        still decide between them: ``y = 1.0 if x > 0 else 2.0``), and its tangent is
        zero.  A branch that is an active name contributes its tangent.
        """
        v = s.value
        branches = (v.body, v.orelse)
        if not any(self.carries_gradient(b) for b in branches):
            return [s, assign(dt, self.rt("zeros_like", name(t)), None)]
        for b in branches:
            if self.carries_gradient(b) and not self.is_active(b):
                raise self.parsed.error(
                    s,
                    "a conditional expression whose branch is an active expression",
                    "compute each branch in an assignment of its own, or use an if statement",
                )
        line = getattr(s, "srcad_line", None)
        cond = self.namer.fresh("cond")
        primal = assign(t, gast.IfExp(name(cond), v.body, v.orelse), line)
        tangents = [
            self.tangent_of(b) if self.is_active(b) else self.rt("zeros_like", name(t))
            for b in branches
        ]
        tangent = gast.IfExp(name(cond), tangents[0], tangents[1])
        code = [assign(cond, v.test, line), primal, assign(dt, tangent, None)]
        c = self.comment(s)
        return ([c] if c else []) + code

    def user_call(self, s, t, dt, fn):
        v = s.value
        arguments, active_params = self.bind_user_call(s, fn)
        entry = self.jvp_hook(fn, active_params)
        jname = self.ns.ref(entry.jvp or entry.call_jvp, callee_name(fn) + "_jvp")
        tangents = [name(self.tan(arguments[p].id)) for p in active_params]
        tparam = getattr(entry.jvp, "__srcad_tangent_param__", "tangents")
        kws = list(v.keywords) + [gast.keyword(tparam, gast.Tuple(tangents, gast.Load()))]
        selfarg = self.self_arg(fn)
        new = gast.Assign(
            [gast.Tuple([store(t), store(dt)], gast.Store())],
            gast.Call(name(jname), selfarg + list(v.args), kws),
            None,
        )
        return [new]

    def tangent_expr(self, s, v, res):
        """The tangent of ``v`` (whose value is ``res``) and statements it needs."""
        if isinstance(v, gast.Name):
            return self.tangent_of(v), []
        if isinstance(v, gast.Subscript):
            item = self.rt("getitem_adj", self.tangent_of(v.value), index_expr(v.slice))
            # a real zero shaped like the item where the container's tangent is a zero
            # (``0.0`` for an inactive default of ``d.get``): forward code feeds it to
            # NumPy, which takes no symbolic zero (fuzz seed 94026)
            return self.rt("instantiate", item, clone(res)), []
        if isinstance(v, (gast.Tuple, gast.List)):
            elts = [
                self.tangent_of(e) if self.is_active(e) else self.rt("zeros_like", e)
                for e in v.elts
            ]
            return (gast.Tuple if isinstance(v, gast.Tuple) else gast.List)(elts, gast.Load()), []
        if isinstance(v, gast.Dict):
            vals = [
                self.tangent_of(e) if self.is_active(e) else self.rt("zeros_like", e)
                for e in v.values
            ]
            return gast.Dict(clone(v.keys), vals), []
        if isinstance(v, gast.BinOp):
            return self.rule(s, self.operator_prim(v.op), [v.left, v.right], [], res)
        if isinstance(v, gast.UnaryOp):
            return self.rule(s, self.operator_prim(v.op), [v.operand], [], res)
        if isinstance(v, gast.Attribute):
            prim = self.attr_prim(v.attr)
            if prim is None and self.parsed.generated:
                return None, []  # an attribute of saved state (self.w) in generated code
            return self.rule(s, prim, [v.value], [], res)
        if isinstance(v, gast.Call):
            kind, obj = self.resolver.call_kind(v)
            if kind == "prim":
                return self.rule(s, obj, v.args, v.keywords, res)
            if kind == "method":
                if v.func.attr == "pop" and self.is_active(v.func.value):
                    return call(attr(name(self.tan(v.func.value.id)), "pop"), list(v.args)), []
                prim = self.method_prim(v.func.attr)
                return self.rule(s, prim, [v.func.value] + list(v.args), v.keywords, res)
            what = getattr(obj, "__name__", None) or getattr(v.func, "attr", "call")
            raise self.parsed.error(
                s,
                f"no forward-mode rule for `{what}`",
                f"register one with @srcad.tangent({what})",
            )
        raise self.parsed.error(
            s,
            f"{type(v).__name__} expressions in forward mode",
            "split the expression into simple assignments",
        )

    def rule(self, s, prim, args, keywords, res):
        rule = registry.lookup(prim) if prim is not None else None
        what = getattr(prim, "__name__", repr(prim))
        if rule is None or rule.nondiff:
            raise self.parsed.error(
                s, f"no derivative rule for `{what}`", f"register one with @srcad.tangent({what})"
            )
        if rule.tangent is not None:
            expr, prelude = self.from_template(s, rule, args, keywords, res, prim)
        elif rule.linear is not None:
            expr, prelude = self.from_linear(s, rule, prim, args, keywords)
        else:
            expr = None
        if expr is not None:
            dtype = self.cast_dtype(s, rule, args, keywords)
            if dtype is not None:  # a cast to integers carries no tangent
                expr = self.rt("through_cast_tangent", expr, dtype)
            return expr, prelude
        if rule.tangent is not None or rule.linear is not None:
            return None, prelude
        raise self.parsed.error(
            s, f"no forward-mode rule for `{what}`", f"register one with @srcad.tangent({what})"
        )

    def from_template(self, s, rule, args, keywords, res, prim=None):
        tpl = rule.tangent
        bound = self.bind(s, tpl, rule, args, keywords)
        # d[x] reads become the tangents; terms of inactive tangents are dropped.
        tree = clone(tpl.tree)
        tangents = {}
        for p, node in bound.items():
            if self.is_active(node):
                t = name(self.tan(node.id))
                t.srcad_keep = t.srcad_tangent = True
                tangents[p] = t
            elif p == tpl.vararg and any(self.is_active(e) for e in node.elts):
                elts = []
                for e in node.elts:
                    if self.is_active(e):
                        t = name(self.tan(e.id))
                        t.srcad_keep = True
                    else:
                        t = self.rt("zeros_like", clone(e))
                    elts.append(t)
                tup = gast.Tuple(elts, gast.Load())
                for n in walk(tup):
                    if isinstance(n, gast.Name):
                        n.srcad_keep = True
                tup.srcad_tangent = True
                tangents[p] = tup
        _DRead(tangents, tpl.result).visit(tree)
        for stmt in tree.body:
            if isinstance(stmt, gast.Assign) and d_target(stmt.targets[0]) == tpl.result:
                stmt.value = _simplify(stmt.value)[0]
        shadow = _Shadow(tpl, tree)
        inl = inline(shadow, bound, res, const(0.0), self.ns, self.namer, {"__result__"}, prim)
        self.reuse_primal_calls(s, inl)
        if not inl.contributions or _is_zero(inl.contributions[0][1]):
            return None, []
        return inl.contributions[0][1], list(inl.prelude)

    def from_linear(self, s, rule, prim, args, keywords):
        lin = set(rule.linear)
        any_active = False

        def tangent_arg(a):
            nonlocal any_active
            if self.is_active(a):
                any_active = True
                return name(self.tan(a.id))
            return self.rt("zeros_like", clone(a))

        # The call as written, with each argument in a linear position replaced by
        # its tangent (positions map to the template's parameters in order).
        tpl = rule.adjoint
        names = list(tpl.params) if tpl is not None else (_param_names(prim, rule) or [])
        vararg = tpl.vararg if tpl is not None else None
        new_args, new_kw = [], []
        for i, a in enumerate(args):
            if vararg is not None and i >= names.index(vararg):
                p = vararg
            else:
                p = names[i] if i < len(names) else None
            new_args.append(tangent_arg(a) if (p in lin or p is None) else clone(a))
        for kw in keywords:
            new_kw.append(
                gast.keyword(kw.arg, tangent_arg(kw.value)) if kw.arg in lin else clone(kw)
            )
        if not any_active:
            return None, []
        bound_args = list(args)
        import operator as op

        if prim in (op.add, op.sub) and len(new_args) == 2:
            # Drop the zero tangent of an inactive operand; keep the result's shape.
            da, db = new_args
            za, zb = not self.is_active(bound_args[0]), not self.is_active(bound_args[1])
            if zb:
                expr = da
            elif za:
                expr = db if prim is op.add else gast.UnaryOp(gast.USub(), db)
            else:
                return gast.BinOp(da, gast.Add() if prim is op.add else gast.Sub(), db), []
            other = bound_args[0] if za else bound_args[1]
            if isinstance(other, gast.Constant):
                return expr, []
            return self.rt("broadcast_like", expr, name(s.targets[0].id)), []
        if prim in (op.mul, op.matmul, op.truediv) and len(new_args) == 2:
            return gast.BinOp(new_args[0], OP_NODES[prim](), new_args[1]), []
        if prim in (op.neg, op.pos):
            return gast.UnaryOp(OP_NODES[prim](), new_args[0]), []
        fref = self._prim_ref(s, prim)
        return gast.Call(fref, new_args, new_kw), []

    def _prim_ref(self, s, prim):
        if prim in OP_NODES:
            return name(self.ns.ref(prim, prim.__name__))
        mod = getattr(prim, "__module__", None) or ""
        base = getattr(prim, "__name__", "prim")
        rt = runtime()
        if getattr(rt, base, None) is prim:
            return attr(name(self.rt_name), base)
        if mod.startswith("numpy") or type(prim).__name__ == "ufunc":
            import numpy as np

            npname = self.ns.ref(np, "np")
            if getattr(np, base, None) is prim:
                return attr(name(npname), base)
            if getattr(np.linalg, base, None) is prim:
                return attr(attr(name(npname), "linalg"), base)
        return name(self.ns.ref(prim, base))

    def setitem(self, s):
        t = s.targets[0]
        base = t.value
        if not self.is_active(base):
            return [s]
        dv = self.tangent_of(s.value) if self.is_active(s.value) else const(0.0)
        db = self.tan(base.id)
        return self.overlap_check(s) + [
            s,
            assign(
                db, self.rt("set_tangent", name(db), name(base.id), index_expr(t.slice), dv), None
            ),
        ]


class _Shadow:
    """A tangent template seen as an adjoint-style template with one output."""

    def __init__(self, tpl, tree):
        self.fn = tpl.fn
        self.params = tpl.params
        self.result = tpl.result
        self.vararg = tpl.vararg
        for stmt in tree.body:
            if isinstance(stmt, gast.Assign) and d_target(stmt.targets[0]) == tpl.result:
                stmt.targets = [
                    gast.Subscript(
                        name("d"),
                        name("__result__"),
                        gast.Store(),
                    )
                ]
        self.tree = tree


class _DRead(gast.NodeTransformer):
    """``d[x]`` (a read) -> the tangent name of x, or 0.0 when x is inactive."""

    def __init__(self, names, result):
        self.names = names
        self.result = result

    def visit_Subscript(self, node):
        p = d_target(node)
        if p is not None and isinstance(node.ctx, gast.Load):
            if p in self.names:
                return _copy_marked(self.names[p])
            zero = const(0.0)
            zero.srcad_zero = True
            return zero
        self.generic_visit(node)
        return node


def _simplify(node):
    """Fold the zero tangents of inactive arguments: ``(node, kind)`` where kind is
    'zero', 'tangent' (depends on a tangent) or 'const'."""
    if getattr(node, "srcad_zero", False):
        return node, "zero"
    if getattr(node, "srcad_tangent", False):
        return node, "tangent"
    if isinstance(node, gast.BinOp):
        left, lk = _simplify(node.left)
        right, rk = _simplify(node.right)
        node.left, node.right = left, right
        op = node.op
        if isinstance(op, (gast.Add, gast.Sub)):
            if lk == "zero" and rk == "zero":
                return _zero(), "zero"
            if rk == "zero":
                return left, lk
            if lk == "zero":
                return (
                    (right, rk)
                    if isinstance(op, gast.Add)
                    else (gast.UnaryOp(gast.USub(), right), rk)
                )
        if isinstance(op, (gast.Mult, gast.MatMult)) and "zero" in (lk, rk):
            return _zero(), "zero"
        if isinstance(op, (gast.Div, gast.Mod)) and lk == "zero":
            return _zero(), "zero"
        return node, "tangent" if "tangent" in (lk, rk) else "const"
    if isinstance(node, gast.UnaryOp):
        operand, k = _simplify(node.operand)
        node.operand = operand
        return (_zero(), "zero") if k == "zero" else (node, k)
    if isinstance(node, gast.Call):
        kinds = []
        for i, a in enumerate(node.args):
            node.args[i], k = _simplify(a)
            kinds.append(k)
        for kw in node.keywords:
            kw.value, k = _simplify(kw.value)
            kinds.append(k)
        carrying = [k for k in kinds if k != "const"]
        if carrying and all(k == "zero" for k in carrying):
            return _zero(), "zero"
        return node, "tangent" if "tangent" in carrying else "const"
    if isinstance(node, gast.Subscript):
        value, k = _simplify(node.value)
        node.value = value
        return (_zero(), "zero") if k == "zero" else (node, k)
    kinds = set()
    for child in gast.iter_child_nodes(node):
        if isinstance(child, gast.expr):
            kinds.add(_simplify(child)[1])
    return node, "tangent" if "tangent" in kinds else "const"


def _copy_marked(node):
    out = clone(node)
    for a, b in zip(walk(node), walk(out)):
        for attr_ in ("srcad_keep", "srcad_tangent", "srcad_zero"):
            if getattr(a, attr_, False):
                setattr(b, attr_, True)
    return out


def _zero():
    z = const(0.0)
    z.srcad_zero = True
    return z


def _param_names(prim, rule):
    import inspect

    if rule.adjoint is not None:
        return rule.adjoint.params
    try:
        return [p.name for p in inspect.signature(prim).parameters.values()]
    except (TypeError, ValueError):
        return None


def _is_zero(node):
    return isinstance(node, gast.Constant) and node.value == 0.0
