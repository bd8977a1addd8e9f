"""One operation per statement (A-normal form) for the expressions of active code.

Design note.  The reverse and forward passes differentiate a statement
``t = op(a, b)`` whose operands are *atoms* (names, constants, or inactive
expressions kept whole).  This stage breaks a nested active expression into such
statements, each result in a temporary named after what it holds (namer.py's
``describe``)::

    y = np.tanh(x @ w) * 2.0     ->    x_matmul_w = x @ w
                                       tanh_x_matmul_w = np.tanh(x_matmul_w)
                                       y = tanh_x_matmul_w * 2.0

``ANF`` is the expression half of ``Normalizer`` (normalize.py), which mixes it
in and adds the statement half (control flow, exits, loops).  Two expressions
need statements to lower: a conditional expression becomes an ``if`` and a
comprehension a ``for`` loop, through the ``stmt_If`` / ``stmt_For`` of the
subclass.  Lambdas (and one-line nested ``def``s) are remembered and inlined at
each call, so no function value ever carries a gradient.
"""

import gast

from .astutil import clone, to_ast, walk
from .namer import describe
from .saveplan import INPLACE_METHODS
from .vocab import assign, attr, call, name, store


class ANF:
    """Expressions into one operation per statement (see the module note)."""

    def __init__(self, parsed, namer, resolver, activity, kinds=None):
        self.kinds = dict(kinds or {})  # name -> 'dict' | 'list' | 'tuple' when known
        self.parsed = parsed
        self.namer = namer
        self.resolver = resolver
        self.act = activity
        self.line = None
        self._same_stmt = {}  # subscript expression -> temporary, within one statement
        self.lambdas = {}  # name -> the lambda bound to it, inlined where it is called

    def assign_to(self, target, value):
        """``target = value`` with ``value`` broken into one operation per statement."""
        if isinstance(value, gast.Dict):
            self.kinds[target] = "dict"
        if isinstance(value, gast.Lambda):
            return self.define_lambda(target, value)
        if not self.act.expr(value):
            return [assign(target, value, self.line)]
        pre, op = self.op(value, hint=target)
        return pre + [assign(target, op, self.line)]

    def atom(self, node, hoist_inactive=False, force_name=False, hint=None):
        """Statements and an atom with the value of ``node``."""
        if isinstance(node, gast.Name):
            return [], node
        # x[i] * x[i]: one temporary for a subscript repeated within a statement
        key = _subscript_key(node) if isinstance(node, gast.Subscript) else None
        if key is not None and key in self._same_stmt:
            return [], name(self._same_stmt[key])
        pre, out = self._atom(node, hoist_inactive, force_name, hint)
        if key is not None and isinstance(out, gast.Name):
            self._same_stmt[key] = out.id
        return pre, out

    def _atom(self, node, hoist_inactive, force_name, hint):
        if isinstance(node, gast.Constant):
            if force_name:
                t = self.namer.fresh(hint or "value")
                return [assign(t, node, self.line)], name(t)
            return [], node
        if not self.act.expr(node):
            if hoist_inactive or force_name or isinstance(node, gast.Call):
                t = self.namer.fresh(hint or describe(node))
                return [assign(t, node, self.line)], name(t)
            return [], node
        pre, op = self.op(node, hint=hint)
        if isinstance(op, gast.Name):
            # (a comprehension's list, a branch's value: named already, and active as
            # the temporary below would be; a name of your own, which an inlined
            # `lambda: k` gives back, keeps the activity it has)
            if op.id not in self.resolver.locals:
                self.act.active.add(op.id)
            return pre, op
        t = self.namer.fresh(hint or describe(op))
        # the temporary holds an active value: an inlined lambda's body, split after
        # its parameters became such temporaries, must see it as one (FINDINGS A5)
        self.act.active.add(t)
        return pre + [assign(t, op, self.line)], name(t)

    def op(self, node, hint=None):
        """Statements and a single operation on atoms computing ``node`` (active)."""
        if isinstance(node, gast.BinOp):
            pre1, a = self.atom(node.left, hoist_inactive=self._named_operand(node, node.left))
            pre2, b = self.atom(node.right, hoist_inactive=self._named_operand(node, node.right))
            return pre1 + pre2, gast.BinOp(a, node.op, b)
        if isinstance(node, gast.UnaryOp):
            pre, a = self.atom(node.operand)
            return pre, gast.UnaryOp(node.op, a)
        if isinstance(node, gast.Call):
            return self.op_call(node)
        if isinstance(node, gast.Attribute):
            pre, a = self.atom(node.value)
            return pre, gast.Attribute(a, node.attr, gast.Load())
        if isinstance(node, gast.Subscript):
            pre, a = self.atom(node.value)
            # (generated code pops integer indices from its stack, which the
            # flow-insensitive analysis sees as active: indices are never differentiated)
            if self.act.expr(node.slice) and not self.parsed.generated:
                raise self.parsed.error(
                    node,
                    "an index computed from an active value",
                    "wrap the index in srcad.stop_gradient() or int()",
                )
            return pre, gast.Subscript(a, node.slice, gast.Load())
        if isinstance(node, (gast.Tuple, gast.List)):
            pre, elts = [], []
            for e in node.elts:
                if isinstance(e, gast.Starred):
                    raise self.parsed.error(
                        node, "starred elements in a display", "list the elements explicitly"
                    )
                p, a = self.atom(e)
                pre += p
                elts.append(a)
            cls = gast.Tuple if isinstance(node, gast.Tuple) else gast.List
            return pre, cls(elts, gast.Load())
        if isinstance(node, gast.Dict):
            pre, vals = [], []
            for k, v in zip(node.keys, node.values):
                if k is None:
                    raise self.parsed.error(
                        node, "** in a dict display", "list the keys explicitly"
                    )
                p, a = self.atom(v)
                pre += p
                vals.append(a)
            return pre, gast.Dict(list(node.keys), vals)
        if isinstance(node, gast.IfExp):
            t = self.namer.fresh(hint + "_branch" if hint else "branch")
            stmts = self.stmt_If(
                gast.If(
                    node.test,
                    [gast.Assign([store(t)], node.body, None)],
                    [gast.Assign([store(t)], node.orelse, None)],
                )
            )
            return stmts, name(t)
        if isinstance(node, (gast.ListComp, gast.GeneratorExp)):
            # a generator expression is consumed at once by its caller (sum(v * v for v
            # in x)): the list of its values gives the same result
            return self.op_listcomp(node, hint)
        if isinstance(node, (gast.Name, gast.Constant)):
            return [], node  # (an inlined lambda's whole body: `lambda t: 0.7`)
        raise self.parsed.error(
            node,
            f"{type(node).__name__} expressions on active values",
            "split the expression into simple assignments",
        )

    def _named_operand(self, parent, e):
        """Whether inactive operand ``e`` of active ``parent`` gets a name of its own:
        the adjoint of a product, quotient or power reads its other operand, and a name
        bound once outside every loop is read there instead of computing ``e`` again
        (``label_probs = p * y + (1.0 - p) * (1.0 - y)``: the adjoint reads the
        primal's ``1.0 - y``).  Inside a loop the name would be bound at every
        iteration, and the save plan would push it: the template recomputes instead."""
        return (
            isinstance(e, (gast.BinOp, gast.UnaryOp))
            and isinstance(parent.op, (gast.Mult, gast.Div, gast.MatMult, gast.Pow))
            and not getattr(self, "loop_flags", None)
            and not self.act.expr(e)
            and any(isinstance(m, gast.Name) for m in walk(e))
        )

    def define_lambda(self, target, lam):
        """``f = lambda t: t * x``: remembered, and inlined where ``f`` is called."""
        a = lam.args
        if a.vararg or a.kwarg or a.kwonlyargs or a.defaults or self._assign_count(target) != 1:
            raise self.parsed.error(
                lam,
                "this lambda (defaults, *args, or a name assigned more than once)",
                "define the function with def at module level and call it by name",
            )
        self.lambdas[target] = lam
        node = assign(target, lam, self.line)
        node.srcad_book = True  # the function value itself carries no gradient
        return [node]

    def inline_lambda(self, node):
        pre, body = self.lambda_body(node)
        more, op = self.op(body)
        return pre + more, op

    def lambda_body(self, node):
        """Statements evaluating the arguments of ``node``, a call of a remembered
        lambda, and its body with the parameters replaced by them."""
        lam = self.lambdas[node.func.id]
        params = [p.id for p in lam.args.args]
        if len(node.args) != len(params) or node.keywords:
            raise self.parsed.error(
                node,
                "a call of a lambda with other arguments than its parameters",
                "pass the arguments by position",
            )
        pre, subst = [], {}
        for p, arg in zip(params, node.args):
            more, a = self.atom(arg)
            pre += more
            subst[p] = a
        return pre, _SubstNames(subst).visit(clone(lam.body))

    def is_lambda_call(self, node):
        return (
            isinstance(node, gast.Call)
            and isinstance(node.func, gast.Name)
            and node.func.id in self.lambdas
            and self.resolver.call_kind(node)[0] == "local"
        )

    def _assign_count(self, target):
        return sum(
            1
            for n in walk(self._fdef)
            if (isinstance(n, gast.Name) and n.id == target and isinstance(n.ctx, gast.Store))
            or (isinstance(n, gast.FunctionDef) and n.name == target and n is not self._fdef)
        )

    def op_call(self, node):
        kind, obj = self.resolver.call_kind(node)
        if kind == "local" and isinstance(node.func, gast.Name) and node.func.id in self.lambdas:
            return self.inline_lambda(node)
        if kind == "local":
            raise self.parsed.error(
                node,
                "calling a function held in a local variable (a lambda, or a function "
                "passed as an argument) on active values",
                "define the function with def at module level and call it by name",
            )
        if any(isinstance(a, gast.Starred) for a in node.args) or any(
            k.arg is None for k in node.keywords
        ):
            raise self.parsed.error(
                node,
                "*args or **kwargs in a call on active values",
                "pass the arguments one by one",
            )
        if (
            kind == "method"
            and node.func.attr in INPLACE_METHODS
            and node.func.attr != "pop"  # (t = lst.pop() is followed)
        ):
            # lst.append(v) is followed as a statement of its own; inside an expression
            # (t = lst.append(v), a lambda's body) the change went unseen: a zero
            # gradient (FINDINGS A5)
            raise self.parsed.error(
                node,
                f"`.{node.func.attr}(...)` inside an expression, on an active value "
                "(srcad follows `lst.append(v)` as a statement of its own)",
                f"write the call as a statement of its own: lst.{node.func.attr}(...)",
            )
        pre, args, kws = [], [], []
        if kind == "method":
            p, recv = self.atom(node.func.value)
            pre += p
            func = gast.Attribute(recv, node.func.attr, gast.Load())
        else:
            func = node.func
        for a in node.args:
            p, x = self.atom(a)
            pre += p
            args.append(x)
        for k in node.keywords:
            p, x = self.atom(k.value)
            pre += p
            kws.append(gast.keyword(k.arg, x))
        return pre, gast.Call(func, args, kws)

    def op_listcomp(self, node, hint):
        if any(g.is_async for g in node.generators):
            raise self.parsed.error(node, "async comprehensions", "use a plain for loop")
        res = self.namer.fresh(hint + "_items" if hint else "items")
        out = [assign(res, gast.List([], gast.Load()), self.line)]
        body = [gast.Expr(call(attr(name(res), "append"), [node.elt]))]
        for gen in reversed(node.generators):
            for cond in reversed(gen.ifs):
                body = [gast.If(cond, body, [])]
            body = [gast.For(gen.target, gen.iter, body, [], None)]
        body[0].lineno = getattr(node, "lineno", None)
        self.act.active.add(res)
        out += self.stmt_For(body[0])
        return out, name(res)


class _SubstNames(gast.NodeTransformer):
    def __init__(self, subst):
        self.subst = subst

    def visit_Name(self, node):
        if isinstance(node.ctx, gast.Load) and node.id in self.subst:
            return clone(self.subst[node.id])
        return node

    def visit_Lambda(self, node):
        return node  # a nested lambda has its own parameters


def _subscript_key(node):
    """A key for ``name[index]`` whose index only reads names and constants."""
    import astor as _astor

    if not isinstance(node.value, gast.Name):
        return None
    for n in walk(node.slice):
        if isinstance(n, gast.Call):
            return None
    return _astor.to_source(to_ast(gast.Expression(node))).strip()


# -- the invariant, checked on the normalizer's output ----------------------------------
#
# Both passes differentiate an operation through its *names*: a rule's operand that is
# an expression is taken for an inactive one kept whole (``X.T``, ``np.ones(3)``), and
# passes nothing back.  An active expression left inside an operation would so lose
# its gradient without a word (a nested ``def`` inlined before its temporaries were
# known to be active did, FINDINGS A5).  ``check_operands`` walks the normalized
# function once, after its activity is known, and refuses such a statement: a refusal
# falls back to the tape, a lost gradient is a wrong number.


def check_operands(fdef, parsed, act):
    """Raise UnsupportedError at the first statement of ``fdef`` with an operand that
    is an active expression rather than a name (``act``: the Activity of ``fdef``),
    or with a call of a local lambda that changes a list or an array in place (one
    the normalizer did not inline: the sweep would not undo what it does)."""
    _refuse_changing_lambdas(fdef, parsed)
    for s in walk(fdef):
        if isinstance(s, gast.Assign) and getattr(s, "srcad_book", False) is not True:
            for op in _operands(s.value, act):
                _refuse_active(op, s, parsed, act)
            for t in s.targets:  # x[i] = v: the index is never differentiated
                if isinstance(t, gast.Subscript):
                    _refuse_active(t.value, s, parsed, act)
        elif isinstance(s, gast.Expr) and isinstance(s.value, gast.Call):
            for op in _operands(s.value, act):
                _refuse_active(op, s, parsed, act)


def _refuse_changing_lambdas(fdef, parsed):
    changing = {}
    for s in walk(fdef):
        if (
            isinstance(s, gast.Assign)
            and len(s.targets) == 1
            and isinstance(s.targets[0], gast.Name)
            and isinstance(s.value, gast.Lambda)
            and any(
                isinstance(n, gast.Call)
                and isinstance(n.func, gast.Attribute)
                and n.func.attr in INPLACE_METHODS
                for n in walk(s.value.body)
            )
        ):
            changing[s.targets[0].id] = s
    if not changing:
        return
    for s in walk(fdef):
        for n in walk(s) if isinstance(s, gast.stmt) else ():
            if (
                isinstance(n, gast.Call)
                and isinstance(n.func, gast.Name)
                and n.func.id in changing
            ):
                raise parsed.error(
                    s,
                    f"`{n.func.id}` changes a list or an array in place, and is called "
                    "where srcad does not inline it (the backward sweep would not undo it)",
                    "write the change out at the call (lst.append(v)), or use mode='tape'",
                )


def _operands(v, act):
    """The operands of operation ``v``, through which a gradient may flow."""
    if isinstance(v, gast.BinOp):
        return [v.left, v.right]
    if isinstance(v, gast.UnaryOp):
        return [v.operand]
    if isinstance(v, (gast.Attribute, gast.Subscript)):
        return [v.value]
    if isinstance(v, (gast.Tuple, gast.List)):
        return [e.value if isinstance(e, gast.Starred) else e for e in v.elts]
    if isinstance(v, gast.Dict):
        return list(v.values)
    if isinstance(v, gast.Call):
        kind, _ = act.resolver.call_kind(v)
        if kind in ("stop", "nondiff"):
            return []
        ops = list(v.args) + [k.value for k in v.keywords]
        if isinstance(v.func, gast.Attribute):
            ops.append(v.func.value)
        return [a.value if isinstance(a, gast.Starred) else a for a in ops]
    return []


def _refuse_active(op, s, parsed, act):
    if isinstance(op, (gast.Name, gast.Constant)) or not act.expr(op):
        return
    raise parsed.error(
        s,
        "srcad could not break this expression into single operations: an active "
        "value inside a larger operand would lose its gradient",
        "assign the inner expression to a name of its own, or use mode='tape' "
        "(and please report it)",
    )
