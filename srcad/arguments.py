"""What the transformations accept: callables, ``wrt``, and argument values (both engines).

Design note.  Everything a user hands to ``srcad.grad`` passes through here
before either engine sees it, so the two engines cannot disagree on it:

* a callable is reduced to a Python function to transform plus arguments bound in
  front of the caller's (``self`` of a bound method or callable object, the
  arguments of a ``functools.partial``); a NumPy ufunc or a builtin that has a
  rule is wrapped in a generated one-line function; anything else that is
  callable goes to the tape; a non-callable is a TypeError;
* the signature is the callable's own (``__wrapped__`` is never followed:
  a decorator's wrapper is what runs);
* ``wrt`` values are checked and converted by one policy (docs/boundary.md):
  integers become float64 (never truncated), bool, str, None, complex and other
  objects are a TypeError naming the argument; dicts, lists, tuples,
  namedtuples and dataclasses are walked like JAX pytrees;
* every array argument is copied, so the function (or the generated code) may
  write into it without the caller ever seeing it, whatever happens.
"""

import dataclasses
import functools
import inspect
import itertools
import linecache

import numpy as np

from . import runtime as _rt


class Target:
    """A callable seen as: the function to transform and what is bound in front."""

    __slots__ = ("fn", "prefix", "keywords", "sig", "tape_fn", "name", "wrapped_prim", "per_call")

    def __init__(
        self, fn, prefix, keywords, sig, tape_fn, name, wrapped_prim=None, per_call=False
    ):
        self.fn = fn  # a Python function or a bound method (self bound)
        self.prefix = prefix  # positional arguments bound in front (partial)
        self.keywords = keywords
        self.sig = sig  # the signature the caller sees
        self.tape_fn = tape_fn  # what the tape calls with the caller's arguments
        self.name = name
        self.wrapped_prim = wrapped_prim
        # per_call: a NumPy function whose arguments vary from call to call (``np.sum``
        # with ``axis=``, ``np.einsum``'s operands): the function to transform is made
        # for each call's shape by :func:`call_wrapper`; ``fn`` is None.
        self.per_call = per_call


def _signature(f):
    try:
        return inspect.signature(f, follow_wrapped=False)
    except (TypeError, ValueError):
        return None


def describe(f):
    """The :class:`Target` for callable ``f`` (TypeError for what cannot be called)."""
    if not callable(f):
        raise TypeError(
            f"srcad: expected a function to differentiate, got {type(f).__name__} {f!r:.60}"
        )
    name = getattr(f, "__name__", None) or type(f).__name__
    if isinstance(f, functools.partial):
        inner = describe(f.func)
        return Target(
            inner.fn,
            inner.prefix + tuple(f.args),
            {**inner.keywords, **f.keywords},
            _signature(f),
            f,
            inner.name,
            inner.wrapped_prim,
        )
    if inspect.isclass(f):
        raise TypeError(
            f"srcad: {f.__name__} is a class; differentiate a function (or a method of an "
            "instance) instead"
        )
    if inspect.isfunction(f):
        return Target(f, (), {}, _signature(f), f, name)
    if inspect.ismethod(f):
        return Target(f, (), {}, _signature(f), f, name)
    from .rules import registry

    rule = registry.lookup(f)
    # (a ufunc with a zero derivative, np.sign, np.floor: differentiated to zero)
    if rule is not None and (rule.adjoint is not None or (rule.nondiff and _is_ufunc(f))):
        if _prim_params(f) is None or _takes_keywords(f):
            sig = _signature_followed(f)
            return Target(None, (), {}, sig, f, name, f, per_call=True)
        wrapper = _prim_wrapper(f, name)
        return Target(wrapper, (), {}, _signature(wrapper), wrapper, name, f)
    call = getattr(type(f), "__call__", None)  # noqa: B004 - the class's own __call__
    if inspect.isfunction(call):
        bound = f.__call__  # a callable object of your own class: self bound
        return Target(bound, (), {}, _signature(bound), f, type(f).__name__)
    # a builtin or C function without a rule: only the tape can try it
    return Target(f, (), {}, _signature(f), f, name)


_PRIM_WRAPPERS = {}
_PRIM_COUNT = itertools.count(1)


def _prim_wrapper(prim, name):
    """``def sin(x): return prim(x)``: a ufunc or builtin passed directly, as a function
    the compiler can read (registered in ``linecache``, so its source is exact)."""
    try:
        key = ("prim", prim)
        hit = _PRIM_WRAPPERS.get(key)
    except TypeError:
        key, hit = None, None
    if hit is not None:
        return hit
    params = _prim_params(prim)
    if params is None:
        raise TypeError(
            f"srcad: cannot tell how many arguments {name} takes; wrap it in a function "
            f"(def f(x): return {name}(x))"
        )
    fname = "".join(c if c.isalnum() or c == "_" else "_" for c in name) or "prim"
    if not (fname[0].isalpha() or fname[0] == "_"):
        fname = "f_" + fname
    plist = ", ".join(params)
    src = f"def {fname}({plist}):\n    return __srcad_prim__({plist})\n"
    filename = f"<srcad-wrapper-{next(_PRIM_COUNT)} {name}>"
    linecache.cache[filename] = (len(src), None, src.splitlines(True), filename)
    namespace = {"__srcad_prim__": prim, "__name__": "srcad.wrappers"}
    exec(compile(src, filename, "exec"), namespace)
    fn = namespace[fname]
    fn.__srcad_text__ = src  # re-registered if linecache.clearcache() drops it
    if key is not None:
        _PRIM_WRAPPERS[key] = fn
    return fn


def _is_ufunc(f):
    return isinstance(f, np.ufunc)


def _signature_followed(f):
    """The signature NumPy documents for ``f`` (its dispatchers hide it behind
    ``__wrapped__``); None when there is none."""
    try:
        return inspect.signature(f)
    except (TypeError, ValueError):
        return None


def _takes_keywords(prim):
    """A NumPy function (not a ufunc) whose parameters beyond the required ones
    (``axis``, ``keepdims``, ...) a caller may pass."""
    if isinstance(prim, np.ufunc) or not getattr(prim, "__module__", "").startswith("numpy"):
        return False
    sig = _signature_followed(prim)
    return sig is not None and any(p.default is not p.empty for p in sig.parameters.values())


_CALL_WRAPPERS = {}


def call_wrapper(prim, name, nargs, kwnames):
    """``def sum(a, axis): return __srcad_prim__(a, axis=axis)``: a NumPy function passed
    directly, as a function of exactly the arguments one call passes (``nargs``
    positional, then the keywords ``kwnames``), which the compiler reads like user code.

    Positional parameters keep NumPy's names where it has them (so ``wrt="a"``
    works), otherwise ``x1, x2, ...``.
    """
    key = (_key_of(prim), nargs, tuple(kwnames))
    hit = _CALL_WRAPPERS.get(key)
    if hit is not None:
        return hit
    sig = _signature_followed(prim)
    named = [
        p.name
        for p in (sig.parameters.values() if sig is not None else ())
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    kwnames = [k for k in kwnames if k.isidentifier()]
    pos = []
    for i in range(nargs):
        n = named[i] if i < len(named) and named[i].isidentifier() else f"x{i + 1}"
        while n in pos or n in kwnames or n == "__srcad_prim__":
            n = f"{n}_"
        pos.append(n)
    fname = "".join(c if c.isalnum() or c == "_" else "_" for c in name) or "prim"
    if not (fname[0].isalpha() or fname[0] == "_"):
        fname = "f_" + fname
    params = ", ".join(pos + list(kwnames))
    passed = ", ".join(pos + [f"{k}={k}" for k in kwnames])
    src = f"def {fname}({params}):\n    return __srcad_prim__({passed})\n"
    filename = f"<srcad-wrapper-{next(_PRIM_COUNT)} {name}>"
    linecache.cache[filename] = (len(src), None, src.splitlines(True), filename)
    namespace = {"__srcad_prim__": prim, "__name__": "srcad.wrappers"}
    exec(compile(src, filename, "exec"), namespace)
    fn = namespace[fname]
    fn.__srcad_text__ = src
    if len(_CALL_WRAPPERS) > 512:
        _CALL_WRAPPERS.clear()
    _CALL_WRAPPERS[key] = fn
    return fn


def _key_of(prim):
    try:
        hash(prim)
        return prim
    except TypeError:
        return ("id", id(prim))


def _prim_params(prim):
    nin = getattr(prim, "nin", None)
    if isinstance(prim, np.ufunc) and isinstance(nin, int):
        return ["x"] if nin == 1 else [f"x{i + 1}" for i in range(nin)]
    sig = _signature(prim)
    if sig is None:
        return None
    out = []
    for p in sig.parameters.values():
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty:
            out.append(p.name if p.name.isidentifier() else f"x{len(out) + 1}")
        elif p.kind is p.VAR_POSITIONAL and not out:
            return None
    return out or None


# -- wrt ----------------------------------------------------------------------------------


def positional_params(sig):
    if sig is None:
        return []
    return [
        p.name
        for p in sig.parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]


def resolve_wrt(sig, wrt, fname):
    """``(names, as_tuple)``: ``wrt`` as parameter names (``*k`` for the k-th positional
    argument caught by ``*args``)."""
    single = not isinstance(wrt, (tuple, list))
    items = [wrt] if single else list(wrt)
    if not items:
        raise ValueError(f"wrt (argnums) of {fname} is empty: name at least one argument")
    pos = positional_params(sig)
    params = dict(sig.parameters) if sig is not None else {}
    star = sig is None or any(p.kind is p.VAR_POSITIONAL for p in params.values())
    names = []
    for w in items:
        if isinstance(w, (bool, np.bool_)) or not isinstance(w, (int, np.integer, str)):
            raise TypeError(
                f"wrt (argnums) must be an int, a parameter name or a tuple of them, got {w!r}"
            )
        if isinstance(w, (int, np.integer)):
            w = int(w)
            if 0 <= w < len(pos) or (w < 0 and -len(pos) <= w):
                names.append(pos[w])
            elif star and w >= len(pos):
                names.append(f"*{w}")
            else:
                raise ValueError(
                    f"wrt={w} is out of range: {fname} has {len(pos)} positional parameters {pos}"
                )
            continue
        p = params.get(w)
        if p is None or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            choices = [
                n for n, q in params.items() if q.kind not in (q.VAR_POSITIONAL, q.VAR_KEYWORD)
            ]
            raise ValueError(f"wrt={w!r} is not a parameter of {fname}: choose among {choices}")
        names.append(w)
    if len(set(names)) != len(names):
        raise ValueError(f"wrt (argnums) of {fname} names an argument twice: {items}")
    return tuple(names), not single


def _star(ba):
    for p in ba.signature.parameters.values():
        if p.kind is p.VAR_POSITIONAL:
            return p.name, len(positional_params(ba.signature))
    return None, 0


def arg_get(ba, w):
    if w.startswith("*"):
        vname, base = _star(ba)
        items = ba.arguments.get(vname, ()) if vname else ()
        k = int(w[1:]) - base
        if not 0 <= k < len(items):
            raise TypeError(f"wrt={w[1:]} names positional argument {w[1:]}, which was not passed")
        return items[k]
    return ba.arguments[w]


def arg_set(ba, w, value):
    if w.startswith("*"):
        vname, base = _star(ba)
        items = list(ba.arguments[vname])
        items[int(w[1:]) - base] = value
        ba.arguments[vname] = tuple(items)
    else:
        ba.arguments[w] = value


def plain_positional(sig):
    """The parameter names when every parameter is a plain positional one, else ()."""
    if sig is None:
        return ()
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    params = list(sig.parameters.values())
    if all(p.kind in kinds for p in params):
        return tuple(p.name for p in params)
    return ()


def bind(sig, args, kwargs, fname, simple=None):
    """Bind the caller's arguments (defaults applied); a misuse is a TypeError.
    ``simple``: ``plain_positional(sig)``, when the caller keeps it."""
    if sig is None:
        ba = inspect.Signature([inspect.Parameter("args", inspect.Parameter.VAR_POSITIONAL)]).bind(
            *args
        )
        if kwargs:
            raise TypeError(f"{fname} takes no keyword arguments")
        return ba
    if simple is None:
        simple = plain_positional(sig)
    if simple and not kwargs and len(args) == len(simple):
        # the common call: every parameter given by position, none of them special
        return inspect.BoundArguments(sig, dict(zip(simple, args)))
    try:
        ba = sig.bind(*args, **kwargs)
    except TypeError as exc:
        raise TypeError(f"{fname}(): {exc}") from None
    ba.apply_defaults()
    return ba


# -- the argument policy ----------------------------------------------------------------------


def _is_tensor(v):
    return type(v).__module__.startswith("srcad.tape") and hasattr(v, "requires_grad")


def _is_namedtuple(v):
    return isinstance(v, tuple) and hasattr(type(v), "_fields")


def _is_dataclass_obj(v):
    return dataclasses.is_dataclass(v) and not isinstance(v, type)


def _arraylike(v):
    return hasattr(v, "dtype") and hasattr(v, "shape") and hasattr(v, "astype")


_WHAT = (
    "srcad differentiates with respect to floats, integers (as float64), real arrays, "
    "and dicts, lists, tuples, namedtuples and dataclasses of them"
)


def _bad(fname, path, v, why=None):
    what = why or f"is a {type(v).__name__}"
    return TypeError(f"{fname}: the argument {path} (wrt) {what}; {_WHAT}")


def convert_wrt(v, fname, path, top=True, complex_ok=False):
    """``v`` as the engines see it: integers as float64, containers walked; a TypeError
    naming the argument for what cannot be differentiated."""
    t = type(v)
    if t is float or (t is np.ndarray and v.dtype.kind == "f"):
        return v
    if _is_tensor(v):
        return v
    if isinstance(v, (bool, np.bool_)):
        raise _bad(fname, path, v)
    if isinstance(v, float):
        return v
    if isinstance(v, int):
        return float(v)
    if complex_ok and (isinstance(v, complex) or isinstance(v, np.complexfloating)):
        return v
    if isinstance(v, complex) or isinstance(v, np.complexfloating):
        raise _bad(
            fname,
            path,
            v,
            "is complex (see docs/boundary.md: pass the real and "
            "imaginary parts as two real arguments)",
        )
    if isinstance(v, np.generic):
        if isinstance(v, np.floating):
            return v
        if isinstance(v, np.integer):
            return np.float64(v)
        raise _bad(fname, path, v)
    if _arraylike(v) and not isinstance(v, (tuple, list, dict)):
        kind = getattr(v.dtype, "kind", "")
        if kind == "f":
            return v
        if kind in "iu":
            return v.astype(np.float64)
        if kind == "c" and complex_ok:
            return v
        if kind == "c":
            raise _bad(fname, path, v, "is a complex array (see docs/boundary.md)")
        raise _bad(fname, path, v, f"is an array of dtype {v.dtype}")
    if v is None and not top:
        return None  # an empty subtree (as in JAX): no gradient
    if isinstance(v, dict):
        return type(v)((k, convert_wrt(e, fname, f"{path}[{k!r}]", False)) for k, e in v.items())
    if _is_namedtuple(v):
        return type(v)(
            *[convert_wrt(e, fname, f"{path}.{n}", False) for n, e in zip(v._fields, v)]
        )
    if isinstance(v, (tuple, list)):
        return type(v)(convert_wrt(e, fname, f"{path}[{i}]", False) for i, e in enumerate(v))
    if _is_dataclass_obj(v):
        return map_dataclass(v, lambda n, e: convert_wrt(e, fname, f"{path}.{n}", False))
    raise _bad(fname, path, v)


def map_dataclass(v, fn):
    """A shallow copy of dataclass ``v``, each field replaced by ``fn(name, value)``."""
    import copy

    new = copy.copy(v)
    for f in dataclasses.fields(v):
        object.__setattr__(new, f.name, fn(f.name, getattr(v, f.name)))
    return new


_ATOMS = (float, int, bool, str, type(None), complex)


def private_copy(v):
    """``v`` with every array in it copied (containers rebuilt; other objects kept)."""
    t = type(v)
    if t is np.ndarray:
        return v.copy()
    if t in _ATOMS:
        return v
    if _arraylike(v) and type(v).__module__.split(".")[0] == "cupy":
        return v.copy()
    if isinstance(v, dict) and type(v) is dict:
        return {k: private_copy(e) for k, e in v.items()}
    if _is_namedtuple(v):
        return type(v)(*[private_copy(e) for e in v])
    if type(v) in (tuple, list):
        return type(v)(private_copy(e) for e in v)
    if _is_dataclass_obj(v):
        return map_dataclass(v, lambda n, e: private_copy(e))
    return v


def prepare(ba, wrt, fname, complex_ok=False):
    """Convert the ``wrt`` arguments and copy every array argument, in place on ``ba``.

    ``complex_ok``: source mode, whose rules follow JAX's convention for complex
    arguments; the tape (PyTorch semantics here) refuses them."""
    arguments = ba.arguments
    for w in wrt:
        if w.startswith("*"):
            arg_set(ba, w, convert_wrt(arg_get(ba, w), fname, f"#{w[1:]}", complex_ok=complex_ok))
        else:
            arguments[w] = convert_wrt(arguments[w], fname, repr(w), complex_ok=complex_ok)
    for k, v in arguments.items():  # (values replaced, keys unchanged)
        t = type(v)
        if t is np.ndarray:
            arguments[k] = v.copy()
        elif t not in _ATOMS:
            arguments[k] = private_copy(v)
    return ba


def structured(v):
    """Does ``v`` hold a namedtuple or dataclass (the compiler takes plain containers)?"""
    if _is_namedtuple(v) or _is_dataclass_obj(v):
        return True
    if isinstance(v, (tuple, list)):
        return any(structured(e) for e in v)
    if isinstance(v, dict):
        return any(structured(e) for e in v.values())
    return False


def _zero_like(x):
    return None if x is None else 0.0


def finalize(g, x, fname, complex_ok=False):
    """The gradient ``g`` of argument ``x`` in ``x``'s structure, type and dtype.

    ``complex_ok`` (source mode, JAX's convention): a real argument gets the real part
    of a complex gradient; elsewhere a complex gradient of a real argument is refused.
    """
    if x is None:
        return None
    if (
        type(x) is np.ndarray
        and type(g) is np.ndarray
        and g.dtype == x.dtype
        and g.shape == x.shape
    ):
        return g  # the common case: already an array like x (its real or complex kind)
    if type(x) is float and type(g) is float:
        return g
    if (
        complex_ok
        and isinstance(g, (np.ndarray, np.generic, complex))
        and np.iscomplexobj(g)
        and isinstance(x, (np.ndarray, np.generic, float, int))
        and not np.iscomplexobj(x)
    ):
        g = np.real(g)
    if _rt.is_zero(g):  # the symbolic zero (or a placeholder): a real zero like x
        g = _rt.zeros_like(x) if isinstance(x, (np.ndarray, np.generic, float, int)) else 0.0
    if complex_ok and _is_complex_value(x) and not _is_tensor(g):
        return _complex_like(g, x)  # a complex argument's gradient is complex, like it
    if type(x) is np.ndarray and type(g) is np.ndarray:
        if g.dtype.kind == "c" and x.dtype.kind != "c":
            raise _complex_out(fname)
        return _rt.finalize(g, x)
    if type(x) is float:
        if isinstance(g, complex) or np.iscomplexobj(g):
            raise _complex_out(fname)
        return _rt.finalize(g, x)
    if _is_namedtuple(x):
        gs = _children(g, len(x), x)
        return type(x)(*[finalize(a, b, fname) for a, b in zip(gs, x)])
    if _is_dataclass_obj(x):

        def field(n, e):
            sub = getattr(g, n, 0.0) if _is_dataclass_obj(g) else 0.0
            return finalize(sub, e, fname)

        return map_dataclass(x, field)
    if isinstance(x, (tuple, list)):
        gs = _children(g, len(x), x)
        out = [finalize(a, b, fname) for a, b in zip(gs, x)]
        return out if isinstance(x, list) else tuple(out)
    if isinstance(x, dict):
        if isinstance(g, dict):
            return {k: finalize(g.get(k, 0.0), v, fname) for k, v in x.items()}
        return {k: finalize(0.0, v, fname) for k, v in x.items()}
    if _is_tensor(g) or _is_tensor(x):
        return _rt.finalize(g, x)
    if np.iscomplexobj(g) and not np.iscomplexobj(x):
        raise _complex_out(fname)
    return _rt.finalize(g, x)


def _is_complex_value(x):
    return isinstance(x, complex) or (
        isinstance(x, (np.ndarray, np.generic)) and np.iscomplexobj(x)
    )


def _complex_like(g, x):
    if isinstance(x, complex):
        return complex(g)
    if isinstance(x, np.generic):
        return x.dtype.type(g)
    return _rt.finalize(np.asarray(g).astype(np.result_type(g, x.dtype)), x)


def _complex_out(fname):
    return TypeError(
        f"{fname}: the gradient came out complex for a real argument: a complex value "
        "appeared inside the function (or as its value); srcad differentiates real "
        "arithmetic only (see docs/boundary.md)"
    )


def _children(g, n, x):
    if isinstance(g, (tuple, list)) and len(g) == n:
        return list(g)
    return [0.0] * n


def zeros_tree(v):
    """A cotangent of zeros shaped like ``v`` (for the aux output of ``has_aux``)."""
    if isinstance(v, dict):
        return {k: zeros_tree(e) for k, e in v.items()}
    if isinstance(v, (tuple, list)) and not _is_namedtuple(v):
        return type(v)(zeros_tree(e) for e in v)
    if _arraylike(v) and getattr(v.dtype, "kind", "") in "fc":
        return _rt.zeros_like(v)
    return 0.0
