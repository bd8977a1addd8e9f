"""Whether a function's output is surely real (never complex), read off its code.

``grad`` differentiates a real scalar output.  JAX refuses a complex one with a
``TypeError`` and so does srcad's tape (PyTorch: "grad can be implicitly created only
for real scalar outputs"); the compiler's runtime seed (``_rt.seed``) checks the value
it is given.  A gradient specialized to a scalar output does not call it: its seed is
the number ``1.0`` and the code that only computes the value is dead (driver.py), so
a complex output would silently give the gradient of its real part.  That seed is
only used where this module proves the output real; elsewhere the value is computed
and checked.

The proof is a forward analysis of the normalized body (the greatest fixpoint: a name
is real until one of its bindings may not be).  An expression is real when

- it is a constant number that is not complex, a real name, or a parameter the
  specialization saw with a real dtype (bool, integer or floating point);
- it is arithmetic, a comparison, a subscript, a conditional or a display of real
  parts, but ``a ** b`` only with an integer exponent (a constant, or a ``range``
  loop's variable), a positive constant base or a NumPy operand (a negative Python
  float to a fractional power is complex; NumPy gives nan);
- it calls a NumPy, ``np.linalg``, ``math`` or builtin function of the tables below
  with real arguments (no ``dtype=``, no ``out=``, no string that could name a
  dtype), or a method of the table on a real value; ``np.abs``, ``np.real``,
  ``np.imag``, ``np.angle`` and ``.real``/``.imag`` of an array are real whatever
  they read;
- it calls one of the user's own functions, whose code is followed (its parameters
  real where the arguments are, three calls deep) and whose every return value is
  real.

Anything else (a global value, a container argument, an attribute of an object) may
be complex.  A call of any other function with an argument that mentions a local
name makes the whole answer "no" (it might put a complex number into a list it is
given), and so do ``eval`` and ``exec``.  A list is real when every element put into
it is (``lst.append(v)``, ``lst[i] = v``, ``lst += [v]``); a name changed that way
must come out real, or the answer is "no" (another name may share the object).  A
nested function, ``global``/``nonlocal``, ``try``, ``del``, a walrus, a
comprehension or a ``yield`` also makes the answer "no"; a ``with`` block is read
through (its call as any other, its ``as`` name unknown).
Tests: tests/compiler/test_realness.py.
"""

import builtins
import inspect
import math

import gast
import numpy as np

from .astutil import walk
from .parse import parse_function
from .shapes import object_of, resolver_for

# NumPy functions whose result is real when every argument is
_NUMPY = frozenset(
    """
    exp exp2 expm1 log log2 log10 log1p sqrt cbrt square sin cos tan arcsin arccos
    arctan arctan2 sinh cosh tanh arcsinh arccosh arctanh fabs sign maximum minimum
    fmax fmin clip where sum mean max min amax amin prod cumsum cumprod var std dot
    matmul inner outer tensordot einsum reshape transpose swapaxes moveaxis
    concatenate stack vstack hstack column_stack expand_dims squeeze broadcast_to tile
    repeat flip roll diag diagonal trace triu tril zeros_like ones_like zeros ones
    eye identity arange linspace power float_power divide true_divide multiply add
    subtract negative positive reciprocal logaddexp logaddexp2 hypot floor ceil round
    around rint trunc mod fmod remainder heaviside sort argmax argmin argsort diff
    ravel atleast_1d atleast_2d atleast_3d take take_along_axis isnan isfinite isinf
    greater greater_equal less less_equal equal not_equal logical_and logical_or
    logical_not logical_xor nan_to_num sinc deg2rad rad2deg radians degrees copy
    array asarray asanyarray shape size ndim full full_like empty_like average median
    nansum nanmean nanmax nanmin all any count_nonzero cross kron split array_split
    """.split()
)
# real whatever they read
_ALWAYS_REAL_NUMPY = frozenset({"abs", "absolute", "real", "imag", "angle"})
_LINALG = frozenset({"norm", "det", "inv", "solve", "slogdet", "pinv", "cholesky"})
_BUILTINS = frozenset(
    {
        "float",
        "int",
        "bool",
        "abs",
        "len",
        "range",
        "round",
        "min",
        "max",
        "sum",
        "reversed",
        "enumerate",
        "zip",
        "list",
        "tuple",
        "sorted",
        "dict",
        "print",
        "isinstance",
    }
)
# methods of a real value whose result is real (with real arguments)
_METHODS = frozenset(
    """
    sum mean max min prod std var reshape transpose ravel flatten copy squeeze clip
    cumsum cumprod dot round item tolist repeat swapaxes argmax argmin any all conj
    conjugate pop index count sort
    """.split()
)
# the table's NumPy functions and methods that give a NumPy value (array or scalar)
_NUMPY_RESULTS = (_NUMPY | _ALWAYS_REAL_NUMPY) - {"shape", "size", "ndim", "split", "array_split"}
_NUMPY_METHODS = _METHODS - {"item", "tolist", "pop", "index", "count", "sort"}
_SRCAD = frozenset({"stop_gradient", "insert_grad_of", "no_grad", "enable_grad"})
_ALWAYS_REAL_ATTRS = frozenset({"real", "imag", "shape", "size", "ndim"})


# builtins that read or change names behind the code's back
_REFLECTIVE = ("eval", "exec", "compile", "locals", "vars", "globals", "setattr", "delattr")

_DEPTH = 3  # calls of the user's functions followed (deeper: may be complex)


def analyze(fdef, ret_name, real_params, array_params, numpy_params, resolve, parse=None):
    """``(output real, every value real)``: whether ``ret_name`` surely holds a real
    value at the end of ``fdef``'s body, and whether every parameter and every name
    the body binds does (then every adjoint of a real seed is real too).  ``parse(fn)``:
    a called function's Parsed (parse.parse_function by default)."""
    try:
        r = _Realness(fdef, real_params, array_params, numpy_params, resolve, parse=parse)
    except _GiveUp:
        return False, False
    every = r.real_params == r.params and r.local - r.params <= r.real
    return r.name_is_real(ret_name), every


def output_is_real(fdef, ret_name, real_params, array_params, numpy_params, resolve):
    """Whether ``ret_name`` surely holds a real value at the end of ``fdef``'s body
    (``real_params``: the parameters the specialization saw with a real dtype;
    ``array_params``: those it saw as arrays or numbers of any dtype; ``numpy_params``:
    the real ones that are NumPy arrays or scalars, not Python numbers;
    ``resolve(name) -> (found, object)`` for free names)."""
    try:
        r = _Realness(fdef, real_params, array_params, numpy_params, resolve)
        return r.name_is_real(ret_name)
    except _GiveUp:
        return False


class _GiveUp(Exception):
    pass


class _Realness:
    def __init__(
        self,
        fdef,
        real_params,
        array_params,
        numpy_params,
        resolve,
        depth=0,
        memo=None,
        parse=None,
    ):
        self.resolve = resolve
        self.parse = parse or parse_function
        self.depth = depth
        self.memo = {} if memo is None else memo  # (function, realness) -> result
        self.returns = []  # the values of the function's return statements
        self.user_calls = []  # (function, call node) of the user's own functions
        self.calls = []  # every other call
        self.array_params = set(array_params)
        self.numpy_params = set(numpy_params)
        self.params = {a.id for a in fdef.args.args + fdef.args.posonlyargs}
        self.params |= {a.id for a in fdef.args.kwonlyargs}
        self.real_params = set(real_params) & self.params
        self.bindings = {}  # name -> expressions it is bound to (None: unknown)
        self.changed = set()  # names changed in place (append, x[i] = v, x += v)
        self.local = set(self.params)
        for s in fdef.body:
            self._collect(s)
        self.local |= set(self.bindings)
        self._calls()
        # (what each name surely holds: fixpoints of their own, before realness's)
        self.numeric_names = self._greatest(self._numeric, self.array_params)
        self.numpy_names = self._greatest(self._numpy, self.numpy_params)
        self.int_names = self._greatest(self._int_valued, (), loops=True)
        self._solve()
        if not self.changed <= self.real:
            raise _GiveUp  # (a name sharing the changed object would be wrong)
        for fn, call in self.user_calls:
            if self._callee(fn, call) is None:
                raise _GiveUp  # (it may put a complex number into what it is given)

    # -- the bindings ------------------------------------------------------------------

    def _bind(self, n, value):
        self.bindings.setdefault(n, []).append(value)

    def _collect(self, s):
        for n in walk(s):
            if isinstance(
                n,
                (
                    gast.FunctionDef,
                    gast.AsyncFunctionDef,
                    gast.Lambda,
                    gast.ClassDef,
                    gast.Global,
                    gast.Nonlocal,
                    gast.AsyncWith,
                    gast.NamedExpr,
                    gast.Try,
                    gast.Import,
                    gast.ImportFrom,
                    gast.Delete,
                    gast.Yield,
                    gast.YieldFrom,
                    gast.Await,
                ),
            ) or (isinstance(n, (gast.ListComp, gast.SetComp, gast.DictComp, gast.GeneratorExp))):
                raise _GiveUp
            if isinstance(n, gast.With):
                # (srcad.insert_grad_of(x) as dx, no_grad(): the call is read below)
                for item in n.items:
                    if not isinstance(item.context_expr, gast.Call):
                        raise _GiveUp
                    if item.optional_vars is not None:
                        self._target(item.optional_vars, None)
            if isinstance(n, gast.Return):
                self.returns.append(n.value if n.value is not None else gast.Constant(None, None))
            elif isinstance(n, gast.Assign):
                for t in n.targets:
                    self._target(t, n.value)
            elif isinstance(n, gast.AugAssign):
                self._target(n.target, gast.BinOp(_load(n.target), n.op, n.value))
                if isinstance(n.target, gast.Name):
                    self.changed.add(n.target.id)  # (lst += [v] extends lst in place)
            elif isinstance(n, gast.AnnAssign):
                self._target(n.target, n.value)
            elif isinstance(n, gast.For):
                self._target(n.target, ("element", n.iter))
            elif isinstance(n, gast.Call):
                if _appends(n):
                    # lst.append(v), wherever it is (a statement, or in an expression)
                    self._bind(n.func.value.id, gast.List([n.args[0]], gast.Load()))
                    self.changed.add(n.func.value.id)
                else:
                    self.calls.append(n)  # (read once every local name is known: _calls)

    def _target(self, t, value):
        if value is None:  # (bound to something unknown)
            for m in walk(t):
                if isinstance(m, gast.Name):
                    self._bind(m.id, None)
            return
        if isinstance(t, gast.Name):
            self._bind(t.id, value)
        elif isinstance(t, (gast.Tuple, gast.List)):
            for e in t.elts:
                # an element of a real value (or of a tuple of them) is real
                self._target(e, ("element", value) if not isinstance(value, tuple) else value)
        elif isinstance(t, gast.Subscript):
            base = t.value
            while isinstance(base, gast.Subscript):
                base = base.value
            if isinstance(base, gast.Name):
                # x[i] = v: an array keeps its dtype, a list takes v
                self._bind(
                    base.id,
                    gast.List([value], gast.Load()) if not isinstance(value, tuple) else None,
                )
                self.changed.add(base.id)
            else:
                raise _GiveUp
        elif isinstance(t, gast.Starred):
            self._target(t.value, ("element", value) if not isinstance(value, tuple) else value)
        else:
            raise _GiveUp  # (an attribute store: obj.a = v)

    def _calls(self):
        """Give up on a call of an unknown function that is given a local name, and on
        ``eval``, ``exec`` and their kind (they reach the local names by themselves)."""
        for n in self.calls:
            f = n.func
            found, obj = self._object(f)
            if found and any(obj is getattr(builtins, b) for b in _REFLECTIVE):
                raise _GiveUp
            if self._always_real(f) or self._table_function(f):
                continue
            method = isinstance(f, gast.Attribute)
            if method and f.attr in _METHODS:
                continue  # (the receiver's realness is read at its use; append binds)
            user = self._user_function(f)
            if user is not None:
                self.user_calls.append((user, n))  # (followed once the names are known)
                continue
            parts = list(n.args) + [k.value for k in n.keywords] + ([f.value] if method else [])
            if any(
                isinstance(m, gast.Name) and m.id in self.local for p in parts for m in walk(p)
            ):
                raise _GiveUp

    def _solve(self):
        """The greatest fixpoint: every local name real until a binding says no."""
        self.real = {n for n in self.local if n not in self.params} | self.real_params
        changed = True
        while changed:
            changed = False
            for n in list(self.real):
                if n in self.params and n not in self.bindings:
                    continue
                if n in self.params and n not in self.real_params:
                    continue
                if not all(v is not None and self._real(v) for v in self.bindings.get(n, ())):
                    self.real.discard(n)
                    changed = True

    def name_is_real(self, n):
        return n in self.real

    # -- expressions -------------------------------------------------------------------

    def _real(self, e):
        if isinstance(e, tuple):  # ("element", iterable or value)
            return self._real(e[1])
        if isinstance(e, gast.Constant):
            # (not a string: np.zeros(3, "complex128") reads it as a dtype)
            return e.value is None or isinstance(e.value, (bool, int, float))
        if isinstance(e, gast.Name):
            return e.id in self.local and e.id in self.real
        if isinstance(e, gast.BinOp):
            if isinstance(e.op, gast.Pow) and not (
                self._int_valued(e.right, self.int_names)
                or _positive(e.left)
                or self._numpy(e, self.numpy_names)
            ):
                return False  # (-8.0) ** (1 / 3) is complex for a Python float
            return self._real(e.left) and self._real(e.right)
        if isinstance(e, gast.UnaryOp):
            return self._real(e.operand)
        if isinstance(e, gast.Compare):
            return True  # (a bool, or an array of bools)
        if isinstance(e, gast.BoolOp):
            return all(self._real(v) for v in e.values)
        if isinstance(e, gast.IfExp):
            return self._real(e.body) and self._real(e.orelse)
        if isinstance(e, gast.Subscript):
            return self._real(e.value) and self._index_real(e.slice)
        if isinstance(e, (gast.List, gast.Tuple, gast.Set)):
            return all(self._real(x) for x in e.elts)
        if isinstance(e, gast.Dict):  # (its keys are never its values)
            return None not in e.keys and all(self._real(x) for x in e.values)
        if isinstance(e, gast.Attribute):
            if e.attr in _ALWAYS_REAL_ATTRS and self._numeric(e.value, self.numeric_names):
                return True  # (of an array or number, whatever its dtype)
            return e.attr in ("T", "real", "imag") and self._real(e.value)
        if isinstance(e, gast.Call):
            return self._call_real(e)
        return False

    def _greatest(self, test, known_params, loops=False):
        """The names for which ``test`` holds, as a greatest fixpoint: a parameter
        among ``known_params`` that is never bound again, and a local name every value
        bound to which passes ``test`` given the names that pass so far (a loop's own
        value passes; ``loops``: a ``for`` target's ``("element", iterable)`` is
        tested too, else it fails)."""
        ok = {n for n in self.bindings if n not in self.params}
        ok |= {p for p in known_params if p in self.params and p not in self.bindings}
        changed = True
        while changed:
            changed = False
            for n in list(ok):
                for v in self.bindings.get(n, ()):
                    if v is None or (isinstance(v, tuple) and not loops) or not test(v, ok):
                        ok.discard(n)
                        changed = True
                        break
        return ok

    def _numeric(self, e, names):
        """Whether ``e`` surely holds a NumPy array or a number (of any dtype), so that
        ``.real``, ``.imag`` and ``.shape`` are NumPy's (``names``: the names that do)."""
        if isinstance(e, gast.Constant):
            return isinstance(e.value, (bool, int, float, complex))
        if isinstance(e, gast.Name):
            return e.id in names
        if isinstance(e, gast.BinOp):
            return self._numeric(e.left, names) and self._numeric(e.right, names)
        if isinstance(e, gast.UnaryOp):
            return self._numeric(e.operand, names)
        if isinstance(e, gast.Subscript):
            return self._numeric(e.value, names)
        if isinstance(e, gast.Call):
            f = e.func
            return (self._always_real(f) or self._table_function(f)) and not isinstance(
                f, gast.Name
            )  # (np.* and math.*, not a builtin such as list or zip)
        return False

    def _numpy(self, e, names):
        """Whether ``e`` surely holds a NumPy array or NumPy scalar (never a Python
        number): its ``**`` is NumPy's, which gives nan where Python gives complex."""
        if isinstance(e, gast.Name):
            return e.id in names
        if isinstance(e, gast.BinOp):  # (NumPy's operators give NumPy values)
            return self._numpy(e.left, names) or self._numpy(e.right, names)
        if isinstance(e, gast.UnaryOp):
            return self._numpy(e.operand, names)
        if isinstance(e, gast.Subscript):
            return self._numpy(e.value, names)
        if isinstance(e, gast.Attribute):
            return e.attr in ("T", "real", "imag") and self._numpy(e.value, names)
        if isinstance(e, gast.Call):
            f = e.func
            if isinstance(f, gast.Attribute) and f.attr in _NUMPY_METHODS:
                return self._numpy(f.value, names)
            found, obj = self._object(f)
            return found and _is_one_of(obj, "numpy")
        return False

    def _int_valued(self, e, names):
        """Whether ``e`` surely holds an integer (a Python float to an integer power
        is real): an integral constant, a ``range`` loop's variable, sums and products
        of them."""
        if _integral(e):
            return True
        if isinstance(e, gast.Name):
            return e.id in names
        if isinstance(e, tuple):  # ("element", range(...)) of a for loop
            it = e[1]
            if isinstance(it, gast.Name) and len(self.bindings.get(it.id, ())) == 1:
                it = self.bindings[it.id][0]  # (range_j = range(n); for j in range_j)
                if not isinstance(it, gast.Call) or it.func is None:
                    return False
            found, obj = self._object(it.func) if isinstance(it, gast.Call) else (False, None)
            if found and obj is reversed and len(it.args) == 1:
                it = it.args[0]
                found, obj = self._object(it.func) if isinstance(it, gast.Call) else (False, None)
            return found and obj is range
        if isinstance(e, gast.BinOp) and isinstance(e.op, (gast.Add, gast.Sub, gast.Mult)):
            return self._int_valued(e.left, names) and self._int_valued(e.right, names)
        if isinstance(e, gast.UnaryOp) and isinstance(e.op, (gast.USub, gast.UAdd)):
            return self._int_valued(e.operand, names)
        return False

    def _index_real(self, sl):
        return True  # (an index picks elements; it adds no values)

    def _call_real(self, e):
        f = e.func
        if any(k.arg in (None, "dtype", "out") for k in e.keywords):
            return False
        args = [a for a in e.args] + [k.value for k in e.keywords]
        if any(isinstance(a, gast.Starred) for a in args):
            return False
        if self._always_real(f):
            return True
        if self._table_function(f):
            if self._object(f)[1] is np.einsum and args and _is_str(args[0]):
                args = args[1:]  # (the subscripts)
            return all(self._real(a) for a in args)
        if (
            isinstance(f, gast.Attribute)
            and f.attr in _METHODS
            and not (isinstance(f.value, gast.Name) and f.value.id not in self.local)
        ):
            return self._real(f.value) and all(self._real(a) for a in args)
        user = self._user_function(f)
        if user is not None:
            return bool(self._callee(user, e))
        return False

    # -- calls of the user's own functions ------------------------------------------------

    def _user_function(self, f):
        found, obj = self._object(f)
        if not found or not inspect.isfunction(obj) or _is_srcad(obj):
            return None
        mod = getattr(obj, "__module__", "") or ""
        if mod == "numpy" or mod.startswith(("numpy.", "srcad.")):
            return None
        return obj

    def _callee(self, fn, call):
        """Whether ``fn(...)`` at ``call`` gives a real value (True or False), or None
        when its code cannot be followed (it might change what it is given)."""
        if self.depth >= _DEPTH or any(isinstance(a, gast.Starred) for a in call.args):
            return None
        if any(k.arg is None for k in call.keywords):
            return None
        try:
            parsed = self.parse(fn)
        except Exception:  # (no source: an UnsupportedError, or anything inspect raises)
            return None
        fdef = parsed.fdef
        names = [a.id for a in fdef.args.posonlyargs + fdef.args.args]
        if len(call.args) > len(names) or fdef.args.vararg or fdef.args.kwarg:
            return None
        given = dict(zip(names, call.args))
        for k in call.keywords:
            if k.arg in given:
                return None
            given[k.arg] = k.value
        real, arrays, numpy = set(), set(), set()
        for n, v in given.items():
            if self._real(v):
                real.add(n)
            if self._numeric(v, self.numeric_names):
                arrays.add(n)
            if self._real(v) and self._numpy(v, self.numpy_names):
                numpy.add(n)
        # (a parameter left to its default: the default's value, if it is a number)
        params = names + [a.id for a in fdef.args.kwonlyargs]
        defaults = dict(zip(names[len(names) - len(fdef.args.defaults) :], fdef.args.defaults))
        defaults.update(
            (a.id, d) for a, d in zip(fdef.args.kwonlyargs, fdef.args.kw_defaults) if d is not None
        )
        for n in params:
            if n not in given and n in defaults and self._real(defaults[n]):
                real.add(n)
        key = (fn, frozenset(real), frozenset(arrays), frozenset(numpy))
        memo = self.memo
        if key in memo:
            return memo[key]
        memo[key] = None  # (a recursive call: not followed)
        try:
            sub = _Realness(
                fdef, real, arrays, numpy, resolver_for(parsed), self.depth + 1, memo, self.parse
            )
            got = all(sub._real(v) for v in sub.returns)
        except _GiveUp:
            got = None
        memo[key] = got
        return got

    def _object(self, f):
        return object_of(f, self.local, self.resolve)

    def _always_real(self, f):
        found, obj = self._object(f)
        return found and _is_one_of(obj, "always")

    def _table_function(self, f):
        found, obj = self._object(f)
        if not found:
            return False
        if _is_one_of(obj, "table") or _is_srcad(obj):
            return True
        # every function of the math module gives a real number (or raises)
        return (
            getattr(obj, "__module__", None) == "math"
            and callable(obj)
            and (getattr(math, getattr(obj, "__name__", ""), None) is obj)
        )


def _integral(e):
    """An int constant, or a float constant with an integral value (``x ** 2.0``)."""
    if isinstance(e, gast.UnaryOp) and isinstance(e.op, (gast.USub, gast.UAdd)):
        e = e.operand
    if not isinstance(e, gast.Constant) or isinstance(e.value, bool):
        return False
    v = e.value
    return type(v) is int or (type(v) is float and math.isfinite(v) and v == int(v))


_TABLES = {}  # "table", "always", "numpy" -> {id(object): object}


def _is_one_of(obj, table):
    """Whether ``obj`` is one of the functions of a table above (by identity)."""
    if not _TABLES:

        def ids(objs):
            return {id(o): o for o in objs if o is not None}

        _TABLES["table"] = ids(
            [getattr(np, n, None) for n in _NUMPY]
            + [getattr(np.linalg, n, None) for n in _LINALG]
            + [getattr(builtins, n) for n in _BUILTINS]
        )
        _TABLES["always"] = ids(getattr(np, n, None) for n in _ALWAYS_REAL_NUMPY)
        _TABLES["numpy"] = ids(getattr(np, n, None) for n in _NUMPY_RESULTS)
    return _TABLES[table].get(id(obj)) is obj


def _is_srcad(obj):
    """srcad's own ``stop_gradient``, ``insert_grad_of`` and ``no_grad``: they make no
    complex values and change nothing they are given."""
    if getattr(obj, "__name__", None) not in _SRCAD:
        return False
    import srcad

    return any(getattr(srcad, n, None) is obj for n in _SRCAD)


def _appends(n):
    """``lst.append(v)`` of a name ``lst``: a binding of its elements."""
    f = n.func
    return (
        isinstance(f, gast.Attribute)
        and isinstance(f.value, gast.Name)
        and f.attr == "append"
        and len(n.args) == 1
        and not isinstance(n.args[0], gast.Starred)
        and not n.keywords
    )


def _positive(e):
    """A positive number written in the code (``2.0 ** x`` is real)."""
    return (
        isinstance(e, gast.Constant)
        and type(e.value) in (int, float)
        and e.value > 0
        and math.isfinite(e.value)
    )


def _is_str(e):
    return isinstance(e, gast.Constant) and isinstance(e.value, str)


def _load(t):
    """A load of an augmented assignment's target (``x`` of ``x += v``)."""
    if isinstance(t, gast.Name):
        return gast.Name(t.id, gast.Load(), None, None)
    return t
