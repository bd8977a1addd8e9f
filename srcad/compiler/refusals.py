"""Refusals: every syntax node of a function is either known to the compiler or
refused here, before any transformation, with a clear ``UnsupportedError``.

The compiler never passes a node it does not know through to generated code:
``_STATEMENTS`` and ``_EXPRESSIONS`` list what the later stages handle (inactive
expressions are kept as written, so they may hold any of ``_EXPRESSIONS``); any
other node type is refused by name.  Constructs the stages know but cannot
differentiate are refused with a specific hint (``_UNSUPPORTED``).
"""

import gast

from .astutil import walk

_UNSUPPORTED = {
    gast.Global: (
        "`global` statements",
        "pass the value in as an argument and return the new value",
    ),
    gast.Nonlocal: (
        "`nonlocal` statements",
        "pass the value in as an argument and return the new value",
    ),
    gast.Try: (
        "`try` statements",
        "move the try/except outside the differentiated function, or use mode='tape'",
    ),
    gast.Raise: None,
    gast.ClassDef: (
        "class definitions inside a differentiated function",
        "define the class at module level",
    ),
    gast.FunctionDef: (
        "nested function definitions",
        "define the helper at module level; srcad differentiates calls to it",
    ),
    gast.AsyncFunctionDef: ("async functions", "use a plain def"),
    gast.AsyncFor: ("async for", "use a plain for loop"),
    gast.AsyncWith: ("async with", "use a plain with"),
    gast.Delete: ("`del` statements", "assign a new value instead of deleting the name"),
    gast.Import: ("import statements inside the function", "import at module level"),
    gast.ImportFrom: ("import statements inside the function", "import at module level"),
}

# In-place methods refused on an active value (``append`` and ``pop`` of a list are
# followed instead; saveplan.INPLACE_METHODS lists every method that writes its receiver).
REFUSED_INPLACE_METHODS = (
    "extend",
    "insert",
    "pop",
    "remove",
    "sort",
    "reverse",
    "clear",
    "update",
    "fill",
    "resize",
    "itemset",
    "setdefault",
    "__setitem__",
    "put",
    "partition",
    "setfield",
    "byteswap",
    "shuffle",
    "popitem",
    "__delitem__",
    "__iadd__",
    "__isub__",
    "__imul__",
    "__itruediv__",
)


_STATEMENTS = (
    gast.FunctionDef,  # only one-line nested defs, inlined like lambdas
    gast.Return,
    gast.Assign,
    gast.AugAssign,
    gast.AnnAssign,
    gast.For,
    gast.While,
    gast.If,
    gast.With,
    gast.Expr,
    gast.Pass,
    gast.Break,
    gast.Continue,
    gast.Assert,
)
_EXPRESSIONS = (
    gast.BoolOp,
    gast.NamedExpr,  # hoisted into an assignment (desugar.py)
    gast.BinOp,
    gast.UnaryOp,
    gast.Lambda,
    gast.IfExp,
    gast.Dict,
    gast.Set,
    gast.ListComp,
    gast.SetComp,
    gast.DictComp,
    gast.GeneratorExp,
    gast.Compare,
    gast.Call,
    gast.FormattedValue,
    gast.JoinedStr,
    gast.Constant,
    gast.Attribute,
    gast.Subscript,
    gast.Starred,
    gast.Name,
    gast.List,
    gast.Tuple,
    gast.Slice,
)
_PARTS = (
    gast.expr_context,
    gast.boolop,
    gast.operator,
    gast.unaryop,
    gast.cmpop,
    gast.comprehension,
    gast.arguments,
    gast.keyword,
    gast.withitem,
    gast.alias,
)
_KNOWN = _STATEMENTS + _EXPRESSIONS + _PARTS


def check_function(parsed, resolver, fdef):
    """Raise UnsupportedError for the first construct the compiler cannot take."""
    a = fdef.args
    if a.vararg is not None or a.kwarg is not None:
        node = a.vararg or a.kwarg
        raise parsed.error(
            fdef,
            "*args/**kwargs parameters",
            f"name the parameters explicitly instead of *{node.id}",
        )
    for node in walk(fdef):
        if node is fdef:
            continue
        if isinstance(node, (gast.Yield, gast.YieldFrom)):
            raise parsed.error(
                node,
                "generators (`yield`) cannot be differentiated",
                "build and return a list instead",
            )
        if isinstance(node, gast.Await):
            raise parsed.error(node, "`await`", "use a plain function")
        spec = _UNSUPPORTED.get(type(node))
        if spec and not _simple_def(node):
            raise parsed.error(node, f"{spec[0]} are not supported", spec[1])
        if isinstance(node, (gast.For, gast.While)) and node.orelse:
            raise parsed.error(
                node,
                "`else` clauses on loops are not supported",
                "use a flag variable set before `break`",
            )
        if isinstance(node, gast.Call):
            ok, obj = resolver.value(node.func)
            if ok and obj in (eval, exec, globals, locals, vars):
                raise parsed.error(
                    node,
                    f"`{obj.__name__}()` cannot be differentiated",
                    "write the computation out as code",
                )
            if not isinstance(node, _KNOWN):
                what = type(node).__name__
                raise parsed.error(
                    node,
                    f"`{what}` is not supported in a differentiated function",
                    "rewrite it with assignments, if, for and while, or use mode='tape'",
                )


def _simple_def(node):
    """A nested ``def`` whose body is one ``return expr`` (a docstring allowed)."""
    if not isinstance(node, gast.FunctionDef) or node.decorator_list:
        return False
    body = [
        b
        for b in node.body
        if not (isinstance(b, gast.Expr) and isinstance(b.value, gast.Constant))
    ]
    return len(body) == 1 and isinstance(body[0], gast.Return) and body[0].value is not None
