"""Desugaring that runs before a statement is put in one-operation form.

* Assignment expressions (``if (y := x * x) > 0.5:``) become an assignment
  before the statement (``y = x * x`` then ``if y > 0.5:``), so the name they
  bind takes part in activity analysis and gets an adjoint like any other.
  Where hoisting could change what runs (inside ``and``/``or`` after the first
  operand, a branch of a conditional expression, a comprehension, a lambda, a
  ``while`` test) or the order of reads (the name is read earlier in the same
  statement), the compiler refuses with a clear message instead.
"""

import gast

from .astutil import walk
from .vocab import name, store


def header_fields(s):
    """The expressions of ``s`` evaluated by the statement itself (not its body)."""
    if isinstance(s, (gast.If, gast.While)):
        return ["test"]
    if isinstance(s, gast.For):
        return ["iter"]
    if isinstance(s, (gast.Assign, gast.AugAssign, gast.AnnAssign, gast.Expr, gast.Return)):
        return ["value"]
    if isinstance(s, gast.Assert):
        return ["test", "msg"]
    return []


def has_named_expr(node):
    return node is not None and any(isinstance(n, gast.NamedExpr) for n in walk(node))


def hoist_named_exprs(s, parsed):
    """``(assignments, s)``: the statement's assignment expressions hoisted out."""
    fields = header_fields(s)
    if not any(has_named_expr(getattr(s, f, None)) for f in fields):
        return [], s
    if isinstance(s, gast.While):
        raise parsed.error(
            s,
            "an assignment expression (:=) in a while condition",
            "assign the value before the loop and again at the end of its body",
        )
    if isinstance(s, gast.Assert) and has_named_expr(s.msg):
        raise parsed.error(s, "an assignment expression (:=) in an assert message", "assign first")
    hoister = _Hoist(parsed)
    for f in fields:
        v = getattr(s, f, None)
        if v is not None:
            _check_order(v, parsed)
            setattr(s, f, hoister.visit(v))
    pre = []
    for target, value, node in hoister.found:
        a = gast.Assign([store(target)], value, None)
        a.lineno = getattr(node, "lineno", getattr(s, "lineno", None))
        pre.append(a)
    return pre, s


def _pos(node):
    return (getattr(node, "lineno", 0) or 0, getattr(node, "col_offset", 0) or 0)


def _check_order(expr, parsed):
    """Refuse ``y + (y := x)``: a read of the name before the assignment runs."""
    for ne in walk(expr):
        if not isinstance(ne, gast.NamedExpr):
            continue
        t = ne.target.id
        for n in walk(expr):
            if (
                isinstance(n, gast.Name)
                and n.id == t
                and isinstance(n.ctx, gast.Load)
                and _pos(n) < _pos(ne)
            ):
                raise parsed.error(
                    ne,
                    f"`{t}` is read before the assignment expression that sets it",
                    "assign the value in a statement of its own first",
                )


class _Hoist(gast.NodeTransformer):
    def __init__(self, parsed):
        self.parsed = parsed
        self.found = []

    def _refuse_inside(self, node, where):
        for n in walk(node):
            if isinstance(n, gast.NamedExpr):
                raise self.parsed.error(
                    n,
                    f"an assignment expression (:=) {where}",
                    "assign the value in a statement of its own",
                )

    def visit_NamedExpr(self, node):
        self.generic_visit(node)  # inner ones run first
        self.found.append((node.target.id, node.value, node))
        return name(node.target.id)

    def visit_BoolOp(self, node):
        node.values[0] = self.visit(node.values[0])
        for v in node.values[1:]:
            self._refuse_inside(v, "after the first operand of and/or (it may not run)")
        return node

    def visit_IfExp(self, node):
        node.test = self.visit(node.test)
        self._refuse_inside(node.body, "in a branch of a conditional expression")
        self._refuse_inside(node.orelse, "in a branch of a conditional expression")
        return node

    def _scoped(self, node):
        self._refuse_inside(node, "inside a comprehension or lambda")
        return node

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _scoped
    visit_Lambda = _scoped
