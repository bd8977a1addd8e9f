"""Reverse mode: a primal sweep that keeps what the backward sweep needs, then
the adjoint statements in reverse order.

State is restored backwards: before a statement overwrites a variable that the
backward sweep reads, the primal pushes the old value on a stack; the backward
sweep pops it right after the statement's adjoint.  So at every point of the
backward sweep the variables hold exactly the values they had at the
corresponding point of the primal, and a rule template can read any of them.

Adjoints start *logically zero*: the set ``Z`` tracks, statically, which
adjoints have no contribution yet.  A first contribution is a plain assignment
(``dx = dy * w``), later ones accumulate (``dx = dx + ...``), and a statement
whose result adjoint is still zero produces no code at all.
"""

import gast

from ..rules import registry
from .analyze import loaded_names
from .astutil import clone, walk
from .dict_adjoints import inline_dict_adjoints
from .saveplan import SavePlan, prune_restores
from .shapes import resolver_for, specialize
from .templates import inline
from .transform import Transform, callee_name
from .vocab import (
    Comment,
    appended_list,
    assign,
    attr,
    call,
    const,
    index_expr,
    name,
    popped_from,
    store,
)

STACK = "_stack"


class Zeros:
    """What is known, at a point of the backward sweep, about adjoints being zero.

    ``zero``: adjoints certainly without a contribution yet (no variable, no code);
    ``maybe``: adjoints that may hold the symbolic zero ``_rt.ZERO`` at run time (a
    path that contributed merged with one that did not; an entry of a container
    adjoint).  A rule template never sees ``ZERO``: a statement whose incoming
    adjoint may be ``ZERO`` runs only when it is not.
    """

    __slots__ = ("zero", "maybe")

    def __init__(self, zero=frozenset(), maybe=frozenset()):
        self.zero = frozenset(zero)
        self.maybe = frozenset(maybe) - self.zero

    def __contains__(self, n):
        return n in self.zero

    def __sub__(self, names):
        """``names`` now hold real values."""
        names = frozenset(names)
        return Zeros(self.zero - names, self.maybe - names)

    def __or__(self, names):
        """``names`` start again at zero."""
        names = frozenset(names)
        return Zeros(self.zero | names, self.maybe - names)

    def may_be_zero(self, names):
        """``names`` now hold values that may be ``ZERO``."""
        names = frozenset(names)
        return Zeros(self.zero - names, self.maybe | names)

    def is_maybe(self, n):
        return n in self.maybe

    def merge(self, other):
        """The state after either of two paths."""
        return Zeros(self.zero & other.zero, self.maybe | other.maybe | (self.zero ^ other.zero))

    def __eq__(self, other):
        return self.zero == other.zero and self.maybe == other.maybe

    __hash__ = None


class Reverse(Transform):
    """Reverse mode on a normalized function: ``primal`` writes the primal sweep,
    ``sweep`` the backward sweep (see the module note)."""

    comment_label = "Grad of"

    def __init__(
        self,
        parsed,
        fdef,
        namer,
        resolver,
        active,
        ns,
        adjoint_names,
        user_calls,
        container_names,
        ret_name,
    ):
        # the stack's name: `_stack`, unless the code is itself generated code with one
        # (chosen before the runtime's name, as it always was)
        self.stack = namer.fresh(STACK)
        super().__init__(parsed, fdef, namer, resolver, active, ns)
        self.adj = adjoint_names
        self.user_calls = (
            user_calls  # callback(fn, active_positions) -> (fwd_name, bwd_name, params)
        )
        self.containers = container_names
        self.ret_name = ret_name
        self.sequences = set()  # names that surely hold lists or tuples
        self.scalars = set()  # names that surely hold Python numbers
        self.shapes = {}  # parameter -> shape, when the code is specialized to shapes
        self.ret_shape = None  # the output's shape, when specialization found it
        self.shape_env = {}  # name -> shape (shapes.py), when specialized
        self.plan = SavePlan(parsed, fdef, active, namer, resolver)
        self.user_call_info = self.plan.user_call_info
        self.nograd = self.plan.nograd
        self._ucache = {}  # id(statement) -> what user_call_target found
        self.summed_lists = {}  # id(t = sum(lst)) -> lst, for lists only summed (sweep)
        self.each_adjoint = {}  # such a list -> the name of its elements' adjoint

    def pushes(self, n, s):
        return self.plan.pushes(n, s)

    def overwritten(self, n):
        return self.plan.overwritten(n)

    def needs_init(self):
        return self.plan.needs_init()

    def restore(self, n):
        """``n = _stack.pop()``: a candidate restore, kept only if the plan pushes ``n``."""
        node = assign(n, self.pop(), None)
        node.srcad_restore = n
        return node

    def sweep(self, body, Z):
        """The backward sweep of ``body`` (generated once) and the save plan it fixes."""
        self.summed_lists = summed_lists(body, self.resolver)
        self.each_adjoint = {}  # summed list -> the name holding its elements' adjoint
        code, Z = self.reverse(body, Z)
        if self.shapes:
            seed = (self.adj(self.ret_name), self.ret_name)
            resolve = resolver_for(self.parsed, self.ns)
            inference = specialize(
                self.shapes, body, code, resolve, self.rt_name, seed, self.stack
            )
            inline_dict_adjoints(code, body, inference)
            self.ret_shape = inference.env.get(self.ret_name)
            self.shape_env = inference.env  # (factors.py's sizes, after the optimizer)
        self.plan.finalize(loaded_names(code))
        return prune_restores(code, self.plan.P), Z

    # -- helpers -------------------------------------------------------------

    def d(self, n):
        return self.adj(n)

    def push(self, value):
        return gast.Expr(call(attr(name(self.stack), "append"), [value]))

    def pop(self):
        return call(attr(name(self.stack), "pop"), [])

    # -- the primal sweep ----------------------------------------------------------

    def primal(self, stmts):
        return self.each(stmts, self.primal_stmt)

    def primal_stmt(self, s):
        if isinstance(s, gast.Assign):
            t = s.targets[0]
            pre = []
            if isinstance(t, gast.Name):
                pre += self.element_check(s)
                if self.pushes(t.id, s) and getattr(s, "srcad_book", False) is not True:
                    pre.append(self.push(name(t.id)))
                if id(s) in self.user_call_info:
                    return pre + self.primal_user_call(s)
                return pre + [s]
            if self.kind(s) == "setitem":
                base = t.value
                value = call(attr(name(self.rt_name), "index_value"), [base, index_expr(t.slice)])
                return self.overlap_check(s) + [self.push(value), s]
            return [s]
        if isinstance(s, gast.For):
            pre = []
            if self.pushes(s.target.id, s):
                pre.append(self.push(name(s.target.id)))
            node = gast.For(s.target, s.iter, self.primal(s.body), [], None)
            return pre + [node]
        if isinstance(s, gast.While):
            return [gast.While(s.test, self.primal(s.body), [])]
        if isinstance(s, gast.If):
            if getattr(s, "srcad_book", False):
                return [s]
            return [gast.If(s.test, self.primal(s.body), self.primal(s.orelse))]
        if isinstance(s, gast.With):
            kind = self.kind(s)
            if kind == "insert_grad":
                return []
            if kind == "no_grad":
                return self.primal(s.body)
        return [s]

    def primal_user_call(self, s):
        saved = self.user_call_info[id(s)]
        fwd = self.user_call_target(s)[0]
        v = s.value
        pre = []
        if self.pushes(saved, s):
            pre.append(self.push(name(saved)))
        selfarg = self.self_arg(self.resolver.call_kind(v)[1])
        new = gast.Assign(
            [gast.Tuple([store(s.targets[0].id), store(saved)], gast.Store())],
            gast.Call(name(fwd), selfarg + list(v.args), v.keywords),
            None,
        )
        return pre + [new]

    def user_call_target(self, s):
        """``(fwd, bwd, arg_names, maybe_zero)`` for the call of a user function in ``s``."""
        cached = self._ucache.get(id(s))
        if cached:
            return cached
        _, fn = self.resolver.call_kind(s.value)
        arguments, active_params = self.bind_user_call(s, fn)
        arg_nodes = [arguments[p].id for p in active_params]
        entry = self.user_calls(fn, active_params, s)
        base = callee_name(fn)
        fwd = self.ns.ref(entry.fwd or entry.call_fwd, base + "_fwd")
        bwd = self.ns.ref(entry.bwd or entry.call_bwd, base + "_bwd")
        # which gradients the callee may give back as the symbolic zero (all of them
        # while it is not compiled yet: a recursive call)
        flags = getattr(entry.bwd, "__srcad_maybe_zero__", None)
        maybe = [True] * len(arg_nodes) if flags is None else list(flags)
        res = (fwd, bwd, arg_nodes, maybe)
        self._ucache[id(s)] = res
        return res

    # -- the backward sweep --------------------------------------------------------

    def reverse(self, stmts, Z):
        out = []
        for s in reversed(stmts):
            code, Z = self.rev_stmt(s, Z)
            out += code
        return out, Z

    def rev_stmt(self, s, Z):
        if isinstance(s, gast.Assign):
            if self.kind(s) == "setitem":
                return self.rev_setitem(s, Z)
            if getattr(s, "srcad_book", False) is True:
                return [], Z
            return self.rev_assign(s, Z)
        if isinstance(s, gast.Expr) and self.kind(s) == "append":
            return self.rev_append(s, Z)
        if isinstance(s, gast.Expr) and self.kind(s) == "pop":
            raise self.parsed.error(
                s,
                "in-place method `pop` on an active list",
                "index the list instead (lst[-1]) and build a new one",
            )
        if isinstance(s, gast.If):
            if getattr(s, "srcad_book", False):
                return [], Z
            return self.rev_if(s, Z)
        if isinstance(s, gast.For):
            return self.rev_for(s, Z)
        if isinstance(s, gast.While):
            return self.rev_while(s, Z)
        if isinstance(s, gast.With):
            kind = self.kind(s)
            if kind == "no_grad":
                return self.reverse(s.body, Z)
            if kind == "insert_grad":
                return self.rev_insert_grad(s, Z)
        return [], Z

    def accumulate(self, n, expr, Z, out, maybe=False):
        """``d[n] += expr`` (a plain assignment for the first contribution).

        ``maybe``: ``expr`` may be the symbolic zero at run time.
        """
        dn = self.d(n)
        if dn in Z:
            out.append(assign(dn, expr, None))
            return Z.may_be_zero({dn}) if maybe else Z - {dn}
        if n in self.containers:
            out.append(assign(dn, self.rt("add", name(dn), expr), None))
        else:
            out.append(assign(dn, gast.BinOp(name(dn), gast.Add(), expr), None))
        return Z if (maybe and Z.is_maybe(dn)) else Z - {dn}

    def zero(self):
        return attr(name(self.rt_name), "ZERO")

    def maybe_expr(self, expr, Z):
        return isinstance(expr, gast.Name) and Z.is_maybe(expr.id)

    def guarded(self, dres, build, Z):
        """Run ``build(Z) -> (code, Z)`` only when ``dres`` is not the symbolic zero."""
        if not self.maybe_expr(dres, Z):
            return build(Z)
        inner = Z - {dres.id}
        code, Zi = build(inner)
        if not code:
            return code, Z
        newly = inner.zero - Zi.zero  # bound inside: bound to ZERO when skipped
        test = gast.Compare(clone(dres), [gast.IsNot()], [self.zero()])
        node = gast.If(test, code, self._materialize(newly))
        return [node], Zi.merge(Z.may_be_zero(newly))

    def rev_assign(self, s, Z):
        t = s.targets[0].id
        v = s.value
        dt = self.d(t)
        pushed = self.plan.may_push(t, s) and getattr(s, "srcad_book", False) is not True
        body = []
        restore = [self.restore(t)] if pushed else []
        if _is_list_pop(v):
            # undo `t = lst.pop()`: the popped value (t, still current) goes back first
            restore.insert(0, gast.Expr(call(attr(name(v.func.value.id), "append"), [name(t)])))
        saved = self.user_call_info.get(id(s))
        if saved is not None and self.plan.may_push(saved, s):
            # pushed after t, so popped before it
            restore.insert(0, self.restore(saved))
        if t not in self.active or dt in Z or id(s) in self.nograd:
            # no adjoint flows through this statement
            reset = self._reset(t, Z)
            return restore + reset[0], reset[1]
        operands = {n.id for n in walk(v) if isinstance(n, gast.Name)}
        self_ref = t in operands
        dres = dt
        result_expr = name(t)
        if self_ref:
            dres = self.namer.fresh(dt + "_in")
            body.append(assign(dres, name(dt), None))
            maybe = Z.is_maybe(dt)
            Z = Z | {dt}
            if maybe:
                Z = Z.may_be_zero({dres})
            # (a call of your function reads only its saved state, which sits above
            # the old value on the stack: that pops after the call's backward)
            if pushed and id(s) not in self.user_call_info:
                newv = self.namer.fresh(t + "_new")
                body.append(assign(newv, name(t), None))
                result_expr = name(newv)
                body += restore
                restore = []
        contrib, Z = self.contributions(s, v, result_expr, name(dres), Z)
        if result_expr.id != t and result_expr.id not in loaded_names(contrib):
            body = [
                b
                for b in body
                if not (
                    isinstance(b, gast.Assign)
                    and isinstance(b.targets[0], gast.Name)
                    and b.targets[0].id == result_expr.id
                )
            ]
        body += contrib
        if not self_ref:
            body2, Z = self._reset(t, Z)
            body += body2
        else:
            body = _drop_identity_copy(body, dt, dres)
        comment = self.comment(s)
        code = ([comment] if comment and contrib else []) + body + restore
        return code, Z

    def _reset(self, t, Z):
        """After a definition's adjoint: the adjoint of the earlier value starts at zero."""
        if t in self.active and self.overwritten(t):
            return [], Z | {self.d(t)}
        return [], Z

    def contributions(self, s, v, result_expr, dres, Z):
        """Adjoint statements of ``t = v``; ``dres`` is the incoming adjoint."""
        out = []
        if not self.carries_gradient(v):
            return out, Z
        lst = self.summed_lists.get(id(s))
        if lst is not None:
            # t = sum(lst) of a list only appended to: every element's adjoint is dt
            # (rev_append reads it; no list of adjoints is built and popped)
            each = self.namer.fresh(self.d(lst) + "_each")
            self.each_adjoint[lst] = each
            out.append(assign(each, dres, None))
            return out, (Z.may_be_zero({each}) if self.maybe_expr(dres, Z) else Z)
        if isinstance(v, gast.Name):
            if v.id in self.active:
                Z = self.accumulate(v.id, dres, Z, out, self.maybe_expr(dres, Z))
            return out, Z
        if isinstance(v, gast.Subscript):
            if self.is_active(v.value):
                base = v.value.id
                db = self.d(base)
                still_zero = db in Z or Z.is_maybe(db)
                cur = self.zero() if db in Z else name(db)
                out.append(
                    assign(db, self.rt("add_at", cur, name(base), index_expr(v.slice), dres), None)
                )
                maybe = still_zero and self.maybe_expr(dres, Z)
                Z = Z.may_be_zero({db}) if maybe else Z - {db}
            return out, Z
        if isinstance(v, (gast.Tuple, gast.List)):
            for k, e in enumerate(v.elts):
                if self.is_active(e):
                    expr = self.rt("getitem_adj", dres, const(k))
                    Z = self.accumulate(e.id, expr, Z, out, maybe=True)
            return out, Z
        if isinstance(v, gast.Dict):
            distinct = _distinct_constant_keys(v.keys)
            for i, (k, e) in enumerate(zip(v.keys, v.values)):
                if self.is_active(e):
                    if distinct:
                        expr = self.rt("getitem_adj", dres, clone(k))
                    else:
                        # a later entry of an equal key replaces this one (``{t - 1: a,
                        # -1: b}`` at t = 0 is ``{-1: b}``): its adjoint is zero then
                        keys = gast.Tuple([clone(c) for c in v.keys], gast.Load())
                        expr = self.rt("display_entry_adj", dres, keys, const(i))
                    Z = self.accumulate(e.id, expr, Z, out, maybe=True)
            return out, Z
        if (
            isinstance(v, gast.BinOp)
            and isinstance(v.op, gast.Add)
            and any(isinstance(e, gast.Name) and e.id in self.sequences for e in (v.left, v.right))
        ):
            # list/tuple concatenation: each operand gets its slice of the adjoint
            parts = [
                self.namer.fresh(self.d(getattr(e, "id", "t")) + "_part")
                for e in (v.left, v.right)
            ]
            out.append(
                gast.Assign(
                    [gast.Tuple([store(p) for p in parts], gast.Store())],
                    self.rt("concat_adj", dres, v.left, v.right),
                    None,
                )
            )
            for e, p in zip((v.left, v.right), parts):
                if self.is_active(e):
                    Z = self.accumulate(e.id, name(p), Z, out, maybe=True)
            return out, Z
        if isinstance(v, gast.BinOp):
            prim = self.operator_prim(v.op)
            return self.apply_rule(s, prim, [v.left, v.right], [], result_expr, dres, Z)
        if isinstance(v, gast.UnaryOp):
            prim = self.operator_prim(v.op)
            return self.apply_rule(s, prim, [v.operand], [], result_expr, dres, Z)
        if isinstance(v, gast.Attribute):
            prim = self.attr_prim(v.attr)
            if prim is None and self.parsed.generated:
                return out, Z  # an attribute of saved state (self.w) in generated code
            if prim is None:
                raise self.parsed.error(
                    s,
                    f"attribute `.{v.attr}` of an active value has no derivative rule",
                    "use a NumPy function with a rule, or register one with @srcad.adjoint",
                )
            return self.apply_rule(s, prim, [v.value], [], result_expr, dres, Z)
        if (
            isinstance(v, gast.Call)
            and isinstance(v.func, gast.Attribute)
            and (v.func.attr == "pop" and not v.args and self.is_active(v.func.value))
        ):
            # t = lst.pop(): the adjoint goes back on the end of the list's adjoint
            lst = v.func.value.id
            dl = self.d(lst)
            cur = self.zero() if dl in Z else name(dl)
            out.append(assign(dl, self.rt("push_adj", cur, name(lst), dres), None))
            return out, Z - {dl}
        if isinstance(v, gast.Call):
            return self.rev_call(s, v, result_expr, dres, Z)
        raise self.parsed.error(
            s,
            f"{type(v).__name__} expressions on active values",
            "split the expression into simple assignments",
        )

    def rev_call(self, s, v, result_expr, dres, Z):
        kind, obj = self.resolver.call_kind(v)
        if kind in ("nondiff", "stop"):
            return [], Z
        if kind == "prim":
            return self.apply_rule(s, obj, v.args, v.keywords, result_expr, dres, Z)
        if kind == "method":
            prim = self.method_prim(v.func.attr)
            if prim is None:
                raise self.parsed.error(
                    s,
                    f"method `.{v.func.attr}()` of an active value has no derivative rule",
                    "call the NumPy function instead (np.xxx(a, ...)), or register a rule "
                    "with @srcad.adjoint",
                )
            return self.apply_rule(
                s, prim, [v.func.value] + list(v.args), v.keywords, result_expr, dres, Z
            )
        if kind == "user":
            return self.rev_user_call(s, dres, Z)
        what = getattr(obj, "__name__", None) or type(obj).__name__
        raise self.parsed.error(
            s,
            f"no derivative rule for `{what}` (called on an active value)",
            f"register one with @srcad.adjoint({what}), wrap the argument in "
            "srcad.stop_gradient(), or use mode='tape'",
        )

    def rev_user_call(self, s, dres, Z):
        return self.guarded(dres, lambda Z: self._rev_user_call(s, dres, Z), Z)

    def _rev_user_call(self, s, dres, Z):
        _fwd, bwd, arg_names, maybe = self.user_call_target(s)
        saved = self.user_call_info[id(s)]
        out = []
        if not arg_names:
            return out, Z
        # a first contribution is assigned directly; later ones go through a part
        first = {}
        grads = []
        for a in arg_names:
            da = self.d(a)
            if da in Z and da not in first.values():
                first[a] = da
                grads.append(da)
            else:
                grads.append(self.namer.fresh(da + "_part"))
        target = (
            gast.Tuple([store(g) for g in grads], gast.Store())
            if len(grads) > 1
            else (store(grads[0]))
        )
        out.append(gast.Assign([target], gast.Call(name(bwd), [name(saved), dres], []), None))
        for a, g, m in zip(arg_names, grads, maybe):
            if first.get(a) == g:
                Z = Z.may_be_zero({g}) if m else Z - {g}
            else:
                Z = self.accumulate(a, name(g), Z, out, maybe=m)
        return out, Z

    def apply_rule(self, s, prim, args, keywords, result_expr, dres, Z):
        rule = registry.lookup(prim)
        dtype = self.cast_dtype(s, rule, args, keywords) if rule is not None else None
        if dtype is None:
            build = lambda Z: self._apply_rule(s, prim, args, keywords, result_expr, dres, Z)  # noqa: E731
            return self.guarded(dres, build, Z)

        def through(Z):  # a cast to integers passes nothing back: ZERO at run time
            cast = self.namer.fresh("dcast")
            pre = [assign(cast, self.rt("through_cast", clone(dres), dtype), None)]
            build = lambda Z: self._apply_rule(  # noqa: E731
                s, prim, args, keywords, result_expr, name(cast), Z
            )
            code, Z = self.guarded(name(cast), build, Z.may_be_zero({cast}))
            return pre + code, Z

        return self.guarded(dres, through, Z)

    def _apply_rule(self, s, prim, args, keywords, result_expr, dres, Z):
        rule = registry.lookup(prim)
        if rule is None or rule.nondiff or rule.adjoint is None:
            what = getattr(prim, "__name__", repr(prim))
            raise self.parsed.error(
                s,
                f"no derivative rule for `{what}`",
                f"register one with @srcad.adjoint({what}), or use mode='tape'",
            )
        tpl = rule.adjoint
        bound = self.bind(s, tpl, rule, args, keywords)
        wanted = set()
        for p, node in bound.items():
            if p == tpl.vararg:
                if any(self.is_active(e) for e in node.elts):
                    wanted.add(p)
            elif self.is_active(node):
                wanted.add(p)
        try:
            inl = inline(tpl, bound, result_expr, dres, self.ns, self.namer, wanted, prim)
        except TypeError as exc:
            raise self.parsed.error(s, str(exc), "fix the rule template") from None
        self.reuse_primal_calls(s, inl)
        out = list(inl.prelude)
        for p, expr in inl.contributions:
            node = bound[p]
            if p == tpl.vararg:
                tmp = self.namer.fresh("d" + p)
                out.append(assign(tmp, expr, None))
                for k, e in enumerate(node.elts):
                    if self.is_active(e):
                        Z = self.accumulate(
                            e.id, gast.Subscript(name(tmp), const(k), gast.Load()), Z, out
                        )
                continue
            others = [n for q, n in bound.items() if q != p and q in tpl.params[:2]]
            scalar_result = (
                isinstance(s, gast.Assign)
                and isinstance(s.targets[0], gast.Name)
                and s.targets[0].id in self.scalars
            )
            if (
                rule.broadcast
                and not scalar_result
                and not all(isinstance(n, gast.Constant) for n in others)
            ):
                # (an operand broadcast only against Python constants keeps its shape)
                expr = self.rt("unbroadcast", expr, clone(node))
            if node.id in self.sequences:
                expr = self.rt("adjoint_like", expr, clone(node))  # a list passed as an array
            Z = self.accumulate(node.id, expr, Z, out)
        return out, Z

    def reuse_later_ok(self):
        """A name bound once, at top level, at that statement: the backward sweep never
        restores it, so it holds that one value throughout (reuse.py)."""
        plan = self.plan
        return lambda n, st: plan.sites.get(n) == [False] and (n, id(st)) in plan.top_first

    def reuse_excluded(self):
        """Names never read for a call (``Transform.reuse_primal_calls``): besides those
        written in place, the ones whose changes the save plan cannot undo."""
        return super().reuse_excluded() | set(self.plan.unrestored)

    def rev_setitem(self, s, Z):
        t = s.targets[0]
        base = t.value.id
        db = self.d(base)
        v = s.value
        out = []
        if base in self.active and db not in Z and id(s) not in self.nograd:
            comment = self.comment(s)
            if comment:
                out.append(comment)
            if self.is_active(v):
                dv = self.d(v.id)
                part = dv if dv in Z else self.namer.fresh(dv + "_part")
                out.append(
                    gast.Assign(
                        [gast.Tuple([store(db), store(part)], gast.Store())],
                        self.rt("setitem_adj", name(db), name(base), index_expr(t.slice), v),
                        None,
                    )
                )
                # the part is ZERO when the whole is, or when it is a list or dict
                # adjoint whose entry nothing reached
                maybe = Z.is_maybe(db) or base in self.containers or base in self.sequences
                if part == dv:
                    Z = Z.may_be_zero({dv}) if maybe else Z - {dv}
                else:
                    Z = self.accumulate(v.id, name(part), Z, out, maybe=maybe)
            else:
                out.append(
                    assign(
                        db,
                        gast.Subscript(
                            self.rt("setitem_adj", name(db), name(base), index_expr(t.slice)),
                            const(0),
                            gast.Load(),
                        ),
                        None,
                    )
                )
        restore = gast.Expr(self.rt("restore_item", name(base), index_expr(t.slice), self.pop()))
        return out + [restore], Z

    def rev_append(self, s, Z):
        lst = s.value.func.value.id
        item = s.value.args[0]
        dl = self.d(lst)
        out = []
        each = self.each_adjoint.get(lst)
        if lst in self.summed_lists.values():
            # a list only summed: the element's adjoint is the sum's, and the list is
            # read by nothing going back (so it is not restored either)
            if each is not None and self.is_active(item):
                maybe = Z.is_maybe(each)
                g = self.rt("unbroadcast", name(each), clone(item))
                Z = self.accumulate(item.id, g, Z, out, maybe=maybe)
            return out, Z
        if lst in self.active and dl not in Z and self.is_active(item):
            part = self.namer.fresh(self.d(item.id) + "_part")
            out.append(
                gast.Assign(
                    [gast.Tuple([store(dl), store(part)], gast.Store())],
                    self.rt("pop_adj", name(dl)),
                    None,
                )
            )
            Z = self.accumulate(item.id, name(part), Z, out, maybe=True)
        elif lst in self.active and dl not in Z:
            # an inactive value appended: its entry of the list's adjoint goes too, or
            # the adjoint stays longer than the list restored below and a later
            # ``hs[-2]`` lands on another entry (a wrong gradient, seed 91026)
            popped = gast.Subscript(self.rt("pop_adj", name(dl)), const(0), gast.Load())
            out.append(assign(dl, popped, None))
        out.append(gast.Expr(call(attr(name(lst), "pop"), [])))
        return out, Z

    def rev_insert_grad(self, s, Z):
        item = s.items[0]
        x = item.context_expr.args[0].id
        alias = item.optional_vars.id
        dx = self.d(x)
        # the block is user code: it gets a real array, never the symbolic zero
        start = (
            self.rt("zeros_like", name(x))
            if dx in Z
            else self.rt("instantiate", name(dx), name(x))
        )
        out = [assign(alias, start, None)]
        out += clone(s.body)
        out.append(assign(dx, name(alias), None))
        return out, Z - {dx}

    # -- control flow ----------------------------------------------------------------

    def rev_if(self, s, Z):
        body, Zb = self.reverse(s.body, Z)
        orelse, Ze = self.reverse(s.orelse, Z)
        body += self._materialize(Zb.zero - Ze.zero)
        orelse += self._materialize(Ze.zero - Zb.zero)
        if not body and not orelse:
            return [], Z
        if not body:
            node = gast.If(gast.UnaryOp(gast.Not(), clone(s.test)), orelse, [])
        else:
            node = gast.If(clone(s.test), body, orelse)
        return [node], Zb.merge(Ze)

    def _materialize(self, names):
        return [assign(n, self.zero(), None) for n in sorted(names)]

    def _checkpoint(self):
        return set(self.namer.taken)

    def _rollback(self, taken):
        """Forget names made by generated code that is thrown away (the injected
        objects and adjoint names stay reserved: their maps keep them)."""
        self.namer.taken = taken | set(self.ns.injected) | set(self.adj.map.values())

    def _loop_body(self, loop, Z):
        """The reverse step of ``loop``: generated again until the state at its
        entry is a fixpoint (an adjoint zero on entry must be zero at every exit)."""
        entry = Z
        taken = self._checkpoint()
        while True:
            body, exit_ = self.reverse(loop.body, entry)
            new = entry.merge(exit_)
            if new == entry:
                break
            entry = new
            self._rollback(taken)
        before = self._materialize(Z.zero - entry.zero)
        body = body + self._materialize(exit_.zero - entry.zero)
        if body:
            # values recomputed at the start of each reverse step (instead of saved)
            body = self.plan.recompute_prelude(loop, loaded_names(body)) + body
        return before, body, entry

    def rev_for(self, s, Z):
        before, body, Z2 = self._loop_body(s, Z)
        rng = name(s.srcad_range)
        counter = getattr(s, "srcad_counter", None)
        if counter:
            rng = gast.Subscript(rng, gast.Slice(None, name(counter), None), gast.Load())
        restore = [self.restore(s.target.id)] if self.plan.may_push(s.target.id, s) else []
        if not body:
            return restore, Z2
        loop = gast.For(store(s.target.id), call(name("reversed"), [rng]), body, [], None)
        comment = self.comment(s)
        return before + ([comment] if comment else []) + [loop] + restore, Z2

    def rev_while(self, s, Z):
        before, body, Z2 = self._loop_body(s, Z)
        if not body:
            return [], Z2
        loop = gast.For(store("_"), call(name("range"), [name(s.srcad_counter)]), body, [], None)
        comment = self.comment(s)
        return before + ([comment] if comment else []) + [loop], Z2


def summed_lists(body, resolver):
    """``{id(t = sum(lst)) statement: lst}`` for each list ``lst`` of ``body`` that is
    bound once, at top level, to ``[]``, then only appended to (``lst.append(v)`` as a
    statement, in top-level statements after that binding) and read once, by a builtin
    ``sum(lst)`` at top level after them.  A sum's adjoint is the same for every
    element, so the backward sweep needs no list of adjoints for ``lst`` (a loop of
    1,000 appends popped one step at a time), and nothing reads ``lst`` going back."""
    position = {}  # name -> (index of its [] binding)
    for k, st in enumerate(body):
        if (
            isinstance(st, gast.Assign)
            and len(st.targets) == 1
            and isinstance(st.targets[0], gast.Name)
            and isinstance(st.value, gast.List)
            and not st.value.elts
        ):
            position.setdefault(st.targets[0].id, []).append(k)
    found = {}
    for lst, inits in position.items():
        if len(inits) != 1:
            continue
        k0 = inits[0]
        # the sum reads the list or a copy made at top level for it (a comprehension
        # is lowered to `items = []; for ...: items.append(...)` and `t = items`)
        copy = _copy_for_sum(body, lst, k0)
        read = lst if copy is None else body[copy].targets[0].id
        sums = [
            k
            for k, st in enumerate(body)
            if k > k0
            and isinstance(st, gast.Assign)
            and len(st.targets) == 1
            and isinstance(st.targets[0], gast.Name)
            and _is_builtin_sum_of(st.value, read, resolver)
        ]
        if len(sums) != 1:
            continue
        last = sums[0] if copy is None else copy
        if not _only_appended(body, lst, k0, last) or (
            copy is not None and not _read_once_by(body, read, copy, sums[0])
        ):
            continue
        found[id(body[sums[0]])] = lst
        body[sums[0]].value.srcad_pure = True  # (the builtin sum: optimize may drop it)
    return found


def _copy_for_sum(body, lst, k0):
    """The index of a top-level ``t = lst`` after ``lst``'s binding, if there is one."""
    for k, st in enumerate(body):
        if (
            k > k0
            and isinstance(st, gast.Assign)
            and len(st.targets) == 1
            and isinstance(st.targets[0], gast.Name)
            and isinstance(st.value, gast.Name)
            and st.value.id == lst
        ):
            return k
    return None


def _read_once_by(body, t, kc, k1):
    """Whether ``t`` is bound only at ``kc`` and read only at ``k1``."""
    for k, st in enumerate(body):
        for n in walk(st):
            if isinstance(n, gast.Name) and n.id == t:
                if isinstance(n.ctx, gast.Store) and k == kc:
                    continue
                if isinstance(n.ctx, gast.Load) and k == k1:
                    continue
                return False
    return True


def _is_builtin_sum_of(v, lst, resolver):
    if not (
        isinstance(v, gast.Call)
        and isinstance(v.func, gast.Name)
        and len(v.args) == 1
        and not v.keywords
        and isinstance(v.args[0], gast.Name)
        and v.args[0].id == lst
    ):
        return False
    found, obj = resolver.value(v.func)
    return found and obj is sum


def _only_appended(body, lst, k0, k1):
    """Whether every mention of ``lst`` in ``body`` other than its binding at ``k0`` and
    the sum at ``k1`` is ``lst.append(v)`` as a statement, between the two."""
    appends = set()
    for k, st in enumerate(body):
        for n in walk(st):
            if appended_list(n) == lst:
                if not k0 < k < k1:
                    return False
                appends.add(id(n.value.func.value))
    for k, st in enumerate(body):
        for n in walk(st):
            if isinstance(n, gast.Name) and n.id == lst and id(n) not in appends:
                if k == k0 and isinstance(n.ctx, gast.Store):
                    continue
                if k == k1 and isinstance(n.ctx, gast.Load):
                    continue
                return False
    return True


def _is_list_pop(v):
    return popped_from(v) is not None


def _drop_identity_copy(body, dt, dres):
    """``dt_in = dt ... dt = dt_in``: the adjoint passes through unchanged, so use
    ``dt`` itself (``s = s + x`` gives ``dx = dx + ds``, not two copies)."""

    def is_copy(stmt, target, source):
        return (
            isinstance(stmt, gast.Assign)
            and isinstance(stmt.targets[0], gast.Name)
            and stmt.targets[0].id == target
            and isinstance(stmt.value, gast.Name)
            and stmt.value.id == source
        )

    back = [b for b in body if is_copy(b, dt, dres)]
    other_writes = [
        b
        for b in body
        if isinstance(b, gast.Assign)
        and any(
            isinstance(n, gast.Name) and n.id == dt and isinstance(n.ctx, gast.Store)
            for n in walk(b.targets[0])
        )
        and not is_copy(b, dt, dres)
    ]
    if len(back) != 1 or other_writes:
        return body
    # dt must not be read between the copies (it is not: dt is only read by the first)
    out = []
    for b in body:
        if is_copy(b, dres, dt) or b is back[0]:
            continue
        out.append(_RenameName(dres, dt).visit(b))
    return out


class _RenameName(gast.NodeTransformer):
    def __init__(self, old, new):
        self.old, self.new = old, new

    def visit_Name(self, node):
        if node.id == self.old:
            return name(self.new, node.ctx)
        return node


__all__ = ["Reverse", "Comment", "STACK", "callee_name", "loaded_names"]


def _distinct_constant_keys(keys):
    """Whether a dict display's keys are constants no two of which are one key (``1``,
    ``True`` and ``1.0`` are one), so that every entry is in the dict it makes."""
    values = [_literal(k) for k in keys]
    if any(v is _NOT_LITERAL for v in values):
        return False
    try:
        return len(dict.fromkeys(values)) == len(keys)
    except TypeError:  # (an unhashable constant: the display raises anyway)
        return False


_NOT_LITERAL = object()


def _literal(k):
    """The value of a constant key: ``"a"``, ``2``, and ``-1`` (a minus sign and a number
    after normalization), else _NOT_LITERAL."""
    if isinstance(k, gast.Constant):
        return k.value
    if (
        isinstance(k, gast.UnaryOp)
        and isinstance(k.op, gast.USub)
        and isinstance(k.operand, gast.Constant)
        and type(k.operand.value) in (int, float)
    ):
        return -k.operand.value
    return _NOT_LITERAL
