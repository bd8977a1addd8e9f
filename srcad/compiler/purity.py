"""Can generated code write into its array arguments?  (So the caller's arrays need
no private copy per call.)

Design note.  ``srcad.grad`` must never change a caller's array, and the generated
code runs the user's own statements: ``x[0] = 1.0``, ``np.copyto(x, y)``,
``x.sort()``.  The safe default is a private copy of every array argument per call,
which costs more than the gradient itself for a small function of a large array
(the copy of a 1000x20 array is a third of a logistic regression's gradient).

So each generated gradient carries a flag, computed here once when it is built: it
is *argument-pure* when nothing in it can write into an array it did not create.
The analysis is an allowlist, conservative by construction; a function is pure only
if every one of these holds:

* no store or delete through a subscript or an attribute (``x[i] = v``,
  ``x.shape = s``), no augmented assignment (``x += 1`` writes in place), no nested
  ``def``/``lambda``/``class``, no ``global``/``nonlocal``;
* no call with ``out=`` or ``**kwargs``, nor a positional output of a NumPy function;
* every call is to something known not to write into its arguments: a function or
  ufunc of ``numpy`` (or ``math``/``cmath``) reached through modules only, minus the
  ones that write (``copyto``, ``put``, ``fill_diagonal``, ``shuffle``,
  ``as_strided``, ...); a runtime helper of ``_rt`` minus the ones that write; a
  builtin on a short list (``range``, ``len``, ``float``, ...); or a method, on a
  value the function holds, from a short list of methods that write into no array
  (``sum``, ``reshape``, ``append`` on the sweep's list, ...).  Calls to anything
  else (a user's helper, a generated fwd/bwd pair, an unknown module) make the
  function impure.

Names resolve as the generated code will see them: its own locals first, then the
injected objects (``_rt``, generated helpers), then the user's globals and builtins.
The transformation cache re-checks every global the compiler resolved on each call,
so what a name meant here is what it means when the code runs.

The API still passes pure code read-only views of the arrays, not the arrays: if
this analysis were ever wrong, NumPy raises on the write ("assignment destination
is read-only") and the call is redone on private copies (api.py), so a mistake here
costs time, never a changed array.  The one exception is an argument that the code
reads only as an operand of an operator or an input of a ufunc or ``np.dot``
(:func:`operand_parameters`, a second and narrower proof): nothing it is passed to
can write into it, so it needs no guard.
"""

import builtins
import cmath
import math
import types

import gast
import numpy as np

from ..runtime.core import NUMPY_WRITERS
from .astutil import walk
from .vocab import dotted

# Builtins that write into no array argument.
_SAFE_BUILTINS = frozenset(
    {
        "range", "reversed", "len", "float", "int", "abs", "min", "max", "sum", "zip",
        "enumerate", "isinstance", "tuple", "list", "dict", "bool", "complex", "round",
        "pow", "divmod", "any", "all", "sorted", "slice", "type", "str", "repr", "print",
        "set", "frozenset", "hash", "id", "callable",
    }
)  # fmt: skip

# Methods (on a value the code holds) that write into no array.  ``append``/``pop``
# write into lists: the sweep's own stack, or a list the function built.
_SAFE_METHODS = frozenset(
    {
        "sum", "mean", "prod", "max", "min", "std", "var", "any", "all", "argmax",
        "argmin", "cumsum", "cumprod", "reshape", "transpose", "swapaxes", "squeeze",
        "ravel", "flatten", "copy", "astype", "dot", "item", "tolist", "conj",
        "conjugate", "round", "trace", "diagonal", "take", "repeat", "nonzero", "clip",
        "append", "pop", "get", "keys", "values", "items", "index", "count", "argsort",
        "ptp", "compress", "searchsorted", "__getitem__", "__len__", "is_integer",
    }
)  # fmt: skip

# Names that write into an argument or make a writable view of memory they did not
# allocate, whatever they are reached through (``np.put``, ``np.add.at``,
# ``np.lib.stride_tricks.as_strided``).  A method of a value must be in _SAFE_METHODS
# besides (``x.sort()``, ``x.fill(0)`` are not).
_WRITERS = NUMPY_WRITERS | {
    "at", "as_strided", "sliding_window_view", "ndarray", "frombuffer", "nditer"
}  # fmt: skip

# Runtime helpers that write into one of their arguments (runtime/core.py).
# (``add_at_inplace`` writes into an adjoint that no other name holds, never into an
# argument: optimize.accumulate_in_place proves that before it emits one; were it
# wrong, the read-only views would catch it.)
_RT_WRITERS = frozenset({"restore_item", "restore_tangent"})

_PURE_MODULES = ("numpy", "math", "cmath")


def argument_pure(fdefs, injected, user_globals):
    """Whether none of the generated functions ``fdefs`` can write into an array it
    did not create (see the module note).  ``injected``: the names the generated
    code is compiled with (``_rt``, generated helpers); ``user_globals``: the user
    function's globals."""
    try:
        return all(_pure_function(f, injected, user_globals) for f in fdefs)
    except Exception:  # an unexpected shape of code: not proven pure
        return False


def _pure_function(fdef, injected, user_globals):
    local = _local_names(fdef)
    fresh = None  # (the containers the code made: found when a store needs them)
    for node in walk(fdef):
        if node is not fdef and isinstance(
            node,
            (gast.FunctionDef, gast.AsyncFunctionDef, gast.Lambda, gast.ClassDef, gast.Global,
             gast.Nonlocal, gast.AugAssign),
        ):  # fmt: skip
            return False
        if isinstance(node, (gast.Subscript, gast.Attribute)) and isinstance(
            node.ctx, (gast.Store, gast.Del)
        ):
            if not isinstance(node, gast.Subscript):
                return False
            fresh = _fresh_containers(fdef) if fresh is None else fresh
            if not _name_in(node.value, fresh):
                return False
        if isinstance(node, gast.Call) and not _pure_call(node, local, injected, user_globals):
            if not _restores_item(node, injected):
                return False
            fresh = _fresh_containers(fdef) if fresh is None else fresh
            if not _name_in(node.args[0], fresh):
                return False
    return True


def _fresh_containers(fdef):
    """Names every binding of which is ``name = {...}`` or ``name = [...]``: a dict or
    list the function made itself.  ``name[k] = v`` writes into that container alone
    (min-char-rnn's ``hs[t] = h``), never into an array it did not create."""
    kinds = {}
    assigned = set()  # ids of the Name targets of assignments
    for node in walk(fdef):
        if isinstance(node, gast.Assign):
            for t in node.targets:
                for m in walk(t):
                    if isinstance(m, gast.Name) and isinstance(m.ctx, gast.Store):
                        assigned.add(id(m))
                        ok = t is m and isinstance(node.value, (gast.Dict, gast.List))
                        kinds.setdefault(m.id, set()).add(ok)
    for node in walk(fdef):
        if isinstance(node, gast.Name) and not isinstance(node.ctx, gast.Load):
            if id(node) not in assigned:  # a parameter, a loop target, a deletion...
                kinds.setdefault(node.id, set()).add(False)
    return {n for n, k in kinds.items() if k == {True}}


def _name_in(e, names):
    return isinstance(e, gast.Name) and e.id in names


def _restores_item(node, injected):
    """``_rt.restore_item(c, k, old)``: pure when ``c`` is a container the function
    made (the caller checks that)."""
    func = node.func
    return (
        isinstance(func, gast.Attribute)
        and func.attr == "restore_item"
        and isinstance(func.value, gast.Name)
        and getattr(injected.get(func.value.id), "__name__", None) == "srcad.runtime"
        and len(node.args) == 3
        and not node.keywords
    )


def _local_names(fdef):
    out = set()
    args = fdef.args
    for a in list(args.posonlyargs or []) + list(args.args) + list(args.kwonlyargs):
        out.add(a.id)
    for a in (args.vararg, args.kwarg):
        if a is not None:
            out.add(a.id)
    for node in walk(fdef):
        if isinstance(node, gast.Name) and isinstance(node.ctx, (gast.Store, gast.Del)):
            out.add(node.id)
    return out


_MISSING = object()
_COMMENT = "__srcad_comment__"


def _resolve(name, local, injected, user_globals):
    """What ``name`` holds when the code runs, or _MISSING for a local or unknown."""
    if name in local:
        return _MISSING
    if name in injected:
        return injected[name]
    if name in user_globals:
        return user_globals[name]
    return getattr(builtins, name, _MISSING)


def _pure_call(node, local, injected, user_globals):
    if any(k.arg is None or k.arg == "out" for k in node.keywords):
        return False
    func = node.func
    if isinstance(func, gast.Name):
        if func.id == _COMMENT:
            return True  # a ``# Grad of:`` line (emit.py prints it as a comment)
        obj = _resolve(func.id, local, injected, user_globals)
        if obj is _MISSING:
            return False  # a local or closure value called: unknown
        if obj is getattr(builtins, func.id, None) and func.id in _SAFE_BUILTINS:
            return True
        return _pure_module_callable(obj, func.id, node)
    if not isinstance(func, gast.Attribute):
        return False
    if func.attr in _WRITERS:
        return False
    chain, root = [], func
    while isinstance(root, gast.Attribute):
        chain.append(root.attr)
        root = root.value
    chain.reverse()
    if isinstance(root, gast.Name):
        obj = _resolve(root.id, local, injected, user_globals)
        if obj is not _MISSING and isinstance(obj, types.ModuleType):
            return _pure_module_chain(obj, chain, node)
    # a method of a value the code holds (a local, an argument, an expression)
    return len(chain) >= 1 and chain[-1] in _SAFE_METHODS


def _pure_module_chain(module, chain, node):
    if module.__name__ == "srcad.runtime":
        return len(chain) == 1 and chain[0] not in _RT_WRITERS and hasattr(module, chain[0])
    obj = module
    for i, a in enumerate(chain):
        if a in _WRITERS:
            return False
        if i < len(chain) - 1:
            obj = getattr(obj, a, _MISSING)
            if not isinstance(obj, types.ModuleType):
                return False  # through a class or an object: not proven
    obj = getattr(obj, chain[-1], _MISSING)
    return _pure_module_callable(obj, chain[-1], node)


def _pure_module_callable(obj, attr, node):
    """A function, ufunc or scalar type of NumPy/math/cmath that writes into nothing."""
    if obj is _MISSING or attr in _WRITERS:
        return False
    if obj in (math.__dict__.get(attr), cmath.__dict__.get(attr)) and callable(obj):
        return True
    mod = getattr(obj, "__module__", None) or ""
    if isinstance(obj, np.ufunc):
        return len(node.args) <= obj.nin  # no positional output
    if isinstance(obj, type):
        return issubclass(obj, np.generic)  # np.float64(x), not np.ndarray(...)
    if not isinstance(obj, (types.FunctionType, types.BuiltinFunctionType)) and not (
        callable(obj) and mod.startswith("numpy")
    ):
        return False
    if mod.split(".")[0] not in _PURE_MODULES:
        return False
    from ..runtime import numpy_out_position

    pos = numpy_out_position(obj)
    return pos is None or len(node.args) <= pos


# -- arguments read only as operands ----------------------------------------------------

_ARITHMETIC = (gast.BinOp, gast.UnaryOp, gast.Compare)
_PLAIN_TYPES = frozenset({int, float, complex, bool, np.ndarray, type(None)})


def operand_parameters(fdef, injected, user_globals):
    """Positions of the parameters of an argument-pure ``fdef`` that the code reads only
    as an operand of an operator (``X @ w``, ``1.0 - y``, ``-z``, ``a < b``; a sum or
    difference only with a number or another parameter, ``_may_give_back``) or as a
    positional argument of a NumPy ufunc or of ``np.dot``/``inner``/``outer``/``vdot``
    (``np.exp(z)``, ``np.dot(X, w)``; no ``out=``), and never binds again.  Those write
    into none of their inputs and always return a new array (never the input, nor a
    view of it), so such an argument needs no read-only view in the cheap call
    (cheapcall.py).

    The other operand could be an object whose ``__array_ufunc__`` writes into its
    inputs, so every global the function reads must be a module, a builtin or a plain
    value (a number, a NumPy array or scalar): the transformation cache checks those
    bindings, by identity or by exact type, before every call.  Anything not proven
    gives the empty set (the view stays)."""
    try:
        return _operand_parameters(fdef, injected, user_globals)
    except Exception:  # an unexpected shape of code: not proven
        return frozenset()


def _operand_parameters(fdef, injected, user_globals):
    a = fdef.args
    params = [p.id for p in list(a.posonlyargs or []) + list(a.args)]
    if a.vararg is not None or a.kwarg is not None or a.kwonlyargs:
        return frozenset()
    local = _local_names(fdef)
    stored = {
        n.id
        for n in walk(fdef)
        if isinstance(n, gast.Name) and isinstance(n.ctx, (gast.Store, gast.Del))
    }
    fixed = set(params) - stored  # parameters never bound again: never the symbolic zero
    parents = {}
    for node in walk(fdef):
        for child in gast.iter_child_nodes(node):
            parents[id(child)] = node
    ok = set(params)
    known = []

    def sure():
        if not known:
            known.append(_never_zero(fdef, fixed, local, injected, user_globals))
        return known[0]

    for node in walk(fdef):
        if not isinstance(node, gast.Name) or node is fdef:
            continue
        if isinstance(node.ctx, gast.Param) or node.id == _COMMENT:
            continue
        parent = parents.get(id(node))
        operand = (
            (isinstance(parent, _ARITHMETIC) and not _may_give_back(parent, node, fixed, sure))
            or (
                isinstance(parent, gast.Call)
                and any(arg is node for arg in parent.args)
                and _makes_new_array(parent, local, injected, user_globals)
            )
            or _reads_shape(parent, node, local, injected, user_globals)
        )
        if node.id in ok and not (isinstance(node.ctx, gast.Load) and operand):
            ok.discard(node.id)
        if isinstance(node.ctx, gast.Load) and node.id not in local and node.id not in injected:
            obj = _resolve(node.id, local, injected, user_globals)
            if obj is _MISSING:
                return frozenset()  # a closure's cell or an unknown name
            if not _plain_global(obj, node.id):
                return frozenset()
    return frozenset(i for i, p in enumerate(params) if p in ok)


def _may_give_back(parent, node, fixed, sure):
    """Whether ``parent`` (an operator with operand ``node``) may evaluate to ``node``'s
    array itself: ``ZERO + x`` and ``x - ZERO`` are ``x`` (the symbolic zero an adjoint
    may hold, runtime/core.py).  Only a sum or difference whose other operand is a
    number, a parameter never bound again, or a local name ``sure()`` says never holds
    the symbolic zero (``X_matmul_w - y``) is sure to make a new array."""
    if not (isinstance(parent, gast.BinOp) and isinstance(parent.op, (gast.Add, gast.Sub))):
        return False
    other = parent.right if parent.left is node else parent.left
    if isinstance(other, gast.Constant) and type(other.value) in (int, float, complex, bool):
        return False
    return not (isinstance(other, gast.Name) and (other.id in fixed or other.id in sure()))


def _never_zero(fdef, fixed, local, injected, user_globals):
    """Local names that never hold the symbolic zero: every binding is a plain
    ``name = value`` of arithmetic, comparisons and NumPy calls over numbers, fixed
    parameters and such names (the greatest such set).  A pop, a runtime helper, a
    loop target or any other binding may give ``_rt.ZERO``: not taken."""
    values, other, plain = {}, set(), set()
    nodes = list(walk(fdef))
    for n in nodes:
        if isinstance(n, gast.Assign) and len(n.targets) == 1:
            t = n.targets[0]
            if isinstance(t, gast.Name):
                values.setdefault(t.id, []).append(n.value)
                plain.add(id(t))
    for n in nodes:
        if isinstance(n, gast.Name) and not isinstance(n.ctx, (gast.Load, gast.Param)):
            if id(n) not in plain:
                other.add(n.id)
    names = {k for k in values if k in local and k not in other and k not in fixed}

    def clean(e, ok):
        if isinstance(e, gast.Constant):
            return True
        if isinstance(e, gast.Name):
            return e.id in fixed or e.id in ok
        if isinstance(e, gast.BinOp):
            return clean(e.left, ok) and clean(e.right, ok)
        if isinstance(e, gast.UnaryOp):
            return clean(e.operand, ok)
        if isinstance(e, gast.Compare):
            return clean(e.left, ok) and all(clean(c, ok) for c in e.comparators)
        if isinstance(e, gast.Call) and isinstance(e.func, gast.Attribute) and not e.keywords:
            root = e.func.value
            return (
                isinstance(root, gast.Name)
                and root.id not in local
                and _resolve(root.id, local, injected, user_globals) is np
                and all(clean(a, ok) for a in e.args)
            )
        return False

    while True:
        keep = {k for k in names if all(clean(v, names) for v in values[k])}
        if keep == names:
            return names
        names = keep


def _plain_global(obj, name):
    return (
        type(obj) in _PLAIN_TYPES
        or isinstance(obj, (types.ModuleType, np.generic))
        or obj is getattr(builtins, name, _MISSING)
    )


# NumPy functions beside the ufuncs that return a new array, never a view of an input
_NEW_ARRAY_FUNCTIONS = (np.dot, np.inner, np.outer, np.vdot)


_SHAPE_ATTRIBUTES = frozenset({"shape", "ndim", "size", "dtype"})
_SHAPE_FUNCTIONS = (np.shape, np.ndim, np.size, len)


def _reads_shape(parent, node, local, injected, user_globals):
    """Whether ``parent`` reads only the shape of array ``node``: ``X.shape`` (``ndim``,
    ``size``, ``dtype``), or ``np.shape(X)``, ``np.ndim(X)``, ``np.size(X)``, ``len(X)``
    (the function reached through modules or the builtins, ``X`` its one argument)."""
    if isinstance(parent, gast.Attribute):
        return parent.value is node and parent.attr in _SHAPE_ATTRIBUTES
    if not (
        isinstance(parent, gast.Call)
        and len(parent.args) == 1
        and parent.args[0] is node
        and not parent.keywords
    ):
        return False
    obj = _through_numpy(parent.func, 1, local, injected, user_globals)
    return any(obj is f for f in _SHAPE_FUNCTIONS)


def _through_numpy(func, least, local, injected, user_globals):
    """What the dotted name ``func`` (at least ``least`` parts) holds, reached through
    NumPy modules only (``np.linalg.norm``; a builtin for one part), else _MISSING."""
    parts = dotted(func)
    if parts is None or len(parts) < least:
        return _MISSING
    obj = _resolve(parts[0], local, injected, user_globals)
    for a in parts[1:]:
        if not isinstance(obj, types.ModuleType) or not obj.__name__.startswith("numpy"):
            return _MISSING
        obj = getattr(obj, a, _MISSING)
    return obj


def _makes_new_array(call, local, injected, user_globals):
    """Whether ``call`` is a NumPy ufunc (no positional output) or one of
    ``_NEW_ARRAY_FUNCTIONS``, reached through modules only, with no ``out=`` and no
    unpacked arguments."""
    if any(k.arg is None or k.arg == "out" for k in call.keywords):
        return False
    if any(isinstance(a, gast.Starred) for a in call.args):
        return False
    obj = _through_numpy(call.func, 2, local, injected, user_globals)
    if isinstance(obj, np.ufunc):
        return len(call.args) <= obj.nin
    return any(obj is f for f in _NEW_ARRAY_FUNCTIONS) and len(call.args) == 2
