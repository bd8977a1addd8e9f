"""The compiler's AST vocabulary: node builders and operator tables, in one place.

Every stage of the compiler (normalize, reverse, forward, optimize, driver) builds
gast nodes with the short helpers here and reads Python's operators through the
tables here, so a newcomer learns one small vocabulary and the stages cannot drift
apart (two copies of an operator table that disagree would differentiate ``a % b``
in one mode and refuse it in the other).

Builders, each one node::

    name("x")             x            (a read)
    store("x")            x            (an assignment target)
    param("x")            x            (a parameter of a generated def)
    const(1.0)            1.0
    call(f, [a, b])       f(a, b)
    attr(name("np"), "sum")   np.sum
    assign("y", v, line)  y = v        (``srcad_line`` set for ``# Grad of:``)
    index_expr(slice)     1:3 -> slice(1, 3, None), for runtime helpers
    Comment("Grad of: y = f(x)")   a marker statement emit.py prints as a comment

Readers of a node's shape:

    dotted(n)                   np.linalg.norm -> ['np', 'linalg', 'norm'], else None
    is_call_of(n, "_rt", "f")   whether n is the call _rt.f(...)
    bare_method_receiver(n, m)  "S" when n is S.m() with no arguments, else None
    popped_from(n)              the same for S.pop()
    assigns_one_name(s)         whether statement s is ``name = value``

Operator tables:

* ``BINOPS`` / ``UNOPS``: the differentiable operators, node type -> the Python
  function whose rule the registry holds (``gast.Mult`` -> ``operator.mul``);
* ``OP_NODES``: the reverse map, Python function -> node type;
* ``FOLDABLE``: operators the optimizer may evaluate on two number constants;
* ``OPNAMES`` / ``OPWORDS``: words for temporaries (``x_times_w``, ``product``).
"""

import operator

import gast

from .astutil import clone

# -- builders -------------------------------------------------------------------


def name(id_, ctx=None):
    return gast.Name(id_, ctx or gast.Load(), None, None)


def store(id_):
    return gast.Name(id_, gast.Store(), None, None)


def param(id_):
    """A parameter of a generated ``def``."""
    return gast.Name(id_, gast.Param(), None, None)


def const(v):
    return gast.Constant(v, None)


def assign(target, value, line):
    node = gast.Assign([store(target) if isinstance(target, str) else target], value, None)
    node.srcad_line = line
    return node


def call(func, args, keywords=()):
    return gast.Call(func, list(args), list(keywords))


def attr(value, a):
    return gast.Attribute(value, a, gast.Load())


def is_call_of(n, module, fn):
    """Whether ``n`` is the call ``module.fn(...)`` (``module`` a plain name, such as
    the runtime's ``_rt``)."""
    return (
        isinstance(n, gast.Call)
        and isinstance(n.func, gast.Attribute)
        and n.func.attr == fn
        and isinstance(n.func.value, gast.Name)
        and n.func.value.id == module
    )


def is_attr_of(n, module, attr):
    """Whether ``n`` is ``module.attr`` (``module`` a plain name: ``_rt.ZERO``)."""
    return (
        isinstance(n, gast.Attribute)
        and n.attr == attr
        and isinstance(n.value, gast.Name)
        and n.value.id == module
    )


def dotted(node):
    """``np.linalg.norm`` -> ``['np', 'linalg', 'norm']``; None if not a dotted name."""
    parts = []
    while isinstance(node, gast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, gast.Name):
        return None
    parts.append(node.id)
    return parts[::-1]


def bare_method_receiver(n, method):
    """The name ``S`` when ``n`` is the call ``S.method()`` (no arguments), else None."""
    if (
        isinstance(n, gast.Call)
        and isinstance(n.func, gast.Attribute)
        and n.func.attr == method
        and isinstance(n.func.value, gast.Name)
        and not n.args
        and not n.keywords
    ):
        return n.func.value.id
    return None


def assigns_one_name(s):
    """Whether statement ``s`` is ``name = value`` (one target, a plain name)."""
    return (
        isinstance(s, gast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], gast.Name)
    )


def popped_from(n):
    """The list name ``S`` when ``n`` is the call ``S.pop()`` (no arguments), else None
    (the save plan's restores, and a user's list used as a stack)."""
    return bare_method_receiver(n, "pop")


def appended_list(s):
    """The list name ``L`` when statement ``s`` is ``L.append(v)`` (one argument, no
    keywords), else None: the shape pass, the summed lists and the dead lists read
    appends this way."""
    if not (isinstance(s, gast.Expr) and isinstance(s.value, gast.Call)):
        return None
    c = s.value
    f = c.func
    if (
        isinstance(f, gast.Attribute)
        and f.attr == "append"
        and isinstance(f.value, gast.Name)
        and len(c.args) == 1
        and not c.keywords
    ):
        return f.value.id
    return None


def index_expr(node):
    """A subscript's index as an expression (``1:3`` -> ``slice(1, 3, None)``)."""

    if isinstance(node, gast.Slice):
        parts = [
            clone(p) if p is not None else const(None) for p in (node.lower, node.upper, node.step)
        ]
        return call(name("slice"), parts)
    if isinstance(node, gast.Tuple):
        return gast.Tuple([index_expr(e) for e in node.elts], gast.Load())
    return clone(node)


def Comment(text):  # noqa: N802 - reads like the node it makes
    """A ``# Grad of: ...`` line: a marker statement that emit.py prints as a comment."""
    node = gast.Expr(gast.Constant(text, None))
    node.srcad_comment = text
    return node


# -- operator tables ----------------------------------------------------------------

BINOPS = {
    gast.Add: operator.add,
    gast.Sub: operator.sub,
    gast.Mult: operator.mul,
    gast.Div: operator.truediv,
    gast.Pow: operator.pow,
    gast.MatMult: operator.matmul,
    gast.Mod: operator.mod,
}
UNOPS = {gast.USub: operator.neg, gast.UAdd: operator.pos}
OP_NODES = {f: node for node, f in {**BINOPS, **UNOPS}.items()}

# (matmul is left out: it has no meaning on two numbers)
FOLDABLE = {
    **{k: f for k, f in BINOPS.items() if k is not gast.MatMult},
    gast.FloorDiv: operator.floordiv,
}

OPNAMES = {
    gast.Add: "plus",
    gast.Sub: "minus",
    gast.Mult: "times",
    gast.Div: "over",
    gast.Pow: "pow",
    gast.MatMult: "matmul",
    gast.Mod: "mod",
    gast.FloorDiv: "floordiv",
    gast.USub: "neg",
    gast.UAdd: "pos",
}
OPWORDS = {
    gast.Add: "total",
    gast.Sub: "difference",
    gast.Mult: "product",
    gast.Div: "ratio",
    gast.Pow: "power",
    gast.MatMult: "matprod",
    gast.Mod: "rem",
}
# a constant operand reads better as a verb: 0.5 * t -> scaled_t
OPVERBS = {
    gast.Mult: "scaled",
    gast.Div: "scaled",
    gast.Add: "shifted",
    gast.Sub: "shifted",
}
