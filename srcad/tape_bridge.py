"""``mode="tape"``: run a NumPy-written function on tape tensors.

The ``wrt`` arguments are wrapped in tensors that require grad; NumPy calls on
them are recorded through ``__array_ufunc__``/``__array_function__``; the
gradients come back as arrays (or floats) shaped exactly as ``mode="source"``
gives them.

The cycle collector is paused for the duration of each entry point (recording and
backward pass): PyTorch's graph nodes and tensors are C++ objects the collector never
sees, ours are Python objects (a node, a tensor, tuples and lists per op), so a loop
of a thousand recorded ops triggers many generation-0 collections, and older
generations walk the whole growing graph again and again (about 25% of the time of a
small-op loop, twice that for a long one).  The graph holds no reference cycles (a
node refers to its inputs, never to its output tensor), so reference counting frees
it; only cyclic garbage the user's function itself makes waits until the call ends.
The previous state is restored in a ``finally``; nested and concurrent calls share
one depth counter, so the collector is re-enabled exactly when the outermost call
that found it enabled returns (:func:`_gc_pause`, :func:`_gc_resume`).
"""

import functools
import gc
import inspect
import threading
import types
import warnings

import numpy as np

from . import arguments as _args
from . import autograd
from . import runtime as _rt
from .rules import registry
from .tape import levels as _levels
from .tape import numpy_mode
from .tape.device import is_cupy
from .tape.interop import apply_prim
from .tape.ops.shapes import clone as _clone
from .tape.tensor import Tensor, edge, wrap

# -- the cycle collector, paused while a tape call runs (see the module docstring) ----

_GC_LOCK = threading.Lock()
_GC_STATE = [0, False]  # [depth of paused calls, whether the collector was enabled]


def _gc_pause():
    """Pause the cycle collector (the first of nested calls remembers its state)."""
    with _GC_LOCK:
        if _GC_STATE[0] == 0:
            _GC_STATE[1] = gc.isenabled()
            gc.disable()
        _GC_STATE[0] += 1


def _gc_resume():
    """Undo one :func:`_gc_pause`; the last one re-enables a collector it found enabled."""
    with _GC_LOCK:
        _GC_STATE[0] -= 1
        if _GC_STATE[0] == 0 and _GC_STATE[1]:
            gc.enable()


def _gc_paused(fn):
    """``fn`` run with the cycle collector paused (restored even when it raises)."""

    @functools.wraps(fn)
    def run(*args, **kwargs):
        _gc_pause()
        try:
            return fn(*args, **kwargs)
        finally:
            _gc_resume()

    return run


def _leaf(v, like=None):

    t = type(v)
    if t is float:  # the common arguments first: a Python float, a float array
        return _number_leaf(v, like)
    if t is np.ndarray and v.dtype.kind in "fc":
        return wrap(v, rg=True)
    if _args._is_namedtuple(v):
        return type(v)(*[_leaf(e, like) for e in v])
    if isinstance(v, (tuple, list)):
        return type(v)(_leaf(e, like) for e in v)
    if isinstance(v, dict):
        return {k: _leaf(e, like) for k, e in v.items()}
    if _args._is_dataclass_obj(v):
        return _args.map_dataclass(v, lambda n, e: _leaf(e, like))
    if isinstance(v, Tensor):
        # this transformation's own variable (an outer level's tensor is never it)
        return _levels.own_variable(v)
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v
    if isinstance(v, (int, float)):
        return _number_leaf(v, like)
    if isinstance(v, np.generic):
        data = np.asarray(v)
        return wrap(data if like is None else np.asarray(data, like=like), rg=True)
    if getattr(v, "dtype", None) is not None and getattr(v.dtype, "kind", "") in "fc":
        return wrap(v, rg=True)
    return v


def _number_leaf(v, like=None):
    """The leaf standing for the Python number ``v``: a 0-d float64 tensor whose augmented
    assignment rebinds (a number is immutable: ``s = a; s += b`` must not change ``a``).
    Where the call's arrays live on a device (``like``, a CuPy array), the number's
    tensor lives there too, so that it meets them as the number would."""
    data = np.array(float(v))
    if like is not None:
        data = np.asarray(data, like=like)  # NEP 35: cupy.asarray, on like's device
    t = wrap(data, rg=True)
    t.__class__ = numpy_mode.NumberTensor
    return t


def _working_copy(v):

    if isinstance(v, Tensor):
        t = type(v)
        c = _clone(v) if t is Tensor or t is numpy_mode.NumberTensor else v.clone()
        if t is numpy_mode.NumberTensor:
            c.__class__ = t  # keep a number's rebinding augmented assignment
        return c
    if _args._is_namedtuple(v):
        return type(v)(*[_working_copy(e) for e in v])
    if isinstance(v, (tuple, list)):
        return type(v)(_working_copy(e) for e in v)
    if isinstance(v, dict):
        return {k: _working_copy(e) for k, e in v.items()}
    if _args._is_dataclass_obj(v):
        return _args.map_dataclass(v, lambda n, e: _working_copy(e))
    return v


def _own_working_copy(leaf):
    """:func:`_working_copy` of the leaf of a top-level array or float argument, whose
    memory is srcad's own (``arguments.prepare`` copied the array; a float's leaf is a
    new 0-d array): a tensor on that memory whose edge is the leaf's accumulator, a
    non-leaf with no node of its own, so a call records and runs one node fewer than a
    clone would.  (A user's tensor, or an array inside a container, shares memory with
    the caller: those get the clone.)"""
    c = wrap(leaf._data, True, *edge(leaf))
    if type(leaf) is numpy_mode.NumberTensor:
        c.__class__ = numpy_mode.NumberTensor
    return c


def _flat_leaves(t, out):

    if isinstance(t, Tensor):
        out.append(t)
    elif isinstance(t, (tuple, list)):
        for e in t:
            _flat_leaves(e, out)
    elif isinstance(t, dict):
        for e in t.values():
            _flat_leaves(e, out)
    elif _args._is_dataclass_obj(t):
        for f in _args.dataclasses.fields(t):
            _flat_leaves(getattr(t, f.name), out)
    return out


def _rebuild(template, grads_iter):

    if isinstance(template, Tensor):
        g = next(grads_iter)
        return 0.0 if g is None else g
    if _args._is_namedtuple(template):
        return type(template)(*[_rebuild(e, grads_iter) for e in template])
    if isinstance(template, (tuple, list)):
        return type(template)(_rebuild(e, grads_iter) for e in template)
    if isinstance(template, dict):
        return {k: _rebuild(e, grads_iter) for k, e in template.items()}
    if _args._is_dataclass_obj(template):
        return _args.map_dataclass(template, lambda n, e: _rebuild(e, grads_iter))
    return None if template is None else 0.0


def _unwrap(v):

    if isinstance(v, Tensor):
        data = v._data
        return data[()] if getattr(data, "ndim", 1) == 0 and type(data) is np.ndarray else data
    if isinstance(v, (tuple, list)):
        return type(v)(_unwrap(e) for e in v)
    if isinstance(v, dict):
        return {k: _unwrap(e) for k, e in v.items()}
    return v


def _raw(g):

    return g._data if isinstance(g, Tensor) else g


# -- custom rules on user functions -----------------------------------------------------
#
# ``@srcad.adjoint(my_fn)`` on a Python function of the user's: the compiler inlines the
# rule wherever ``my_fn`` is called; the tape must too, or a fallback caused by unrelated
# code would silently drop a NaN-safe rule.  The tape cannot see the call itself, so the
# function it runs is a copy whose globals (and closure cells) name a recording wrapper
# of ``my_fn`` instead, and the same for every user function on the way to such a call.

_RULED = {"version": None, "fns": {}}
_SKIP_MODULES = ("srcad", "numpy", "cupy", "builtins", "math")


def _ruled_functions():

    if _RULED["version"] != registry.VERSION[0]:
        _RULED["fns"] = {
            id(r.prim): r.prim
            for r in registry.all_rules()
            if inspect.isfunction(r.prim)
            and r.adjoint is not None
            and (getattr(r.prim, "__module__", None) or "").split(".")[0] not in _SKIP_MODULES
        }
        _RULED["version"] = registry.VERSION[0]
    return _RULED["fns"]


def _names(code, out):
    out.update(code.co_names)
    for c in code.co_consts:
        if inspect.iscode(c):
            _names(c, out)
    return out


def _stores_globals(code):
    import dis

    if any(i.opname in ("STORE_GLOBAL", "DELETE_GLOBAL") for i in dis.get_instructions(code)):
        return True
    return any(_stores_globals(c) for c in code.co_consts if inspect.iscode(c))


def _rule_wrapper(prim):

    def holds_tensor(v):
        if isinstance(v, (list, tuple)):
            return any(holds_tensor(e) for e in v)
        if isinstance(v, dict):
            return any(holds_tensor(e) for e in v.values())
        return False

    def recorded(*args, **kwargs):
        values = list(args) + list(kwargs.values())
        if any(holds_tensor(a) for a in values):
            # tensors inside containers: the rule's node could not see them, so the
            # tape follows the function's own operations instead
            return prim(*args, **kwargs)
        if any(isinstance(a, Tensor) for a in values):
            return apply_prim(prim, args, kwargs)
        return prim(*args, **kwargs)

    recorded.__name__ = getattr(prim, "__name__", "recorded")
    recorded.__wrapped__ = prim
    return recorded


def _rewrite(fn, ruled, memo, depth):
    """``fn``, or a copy of it calling the recording wrappers of ruled functions."""
    if id(fn) in ruled:
        return _rule_wrapper(fn)
    if not inspect.isfunction(fn) or depth > 8:
        return fn
    if id(fn) in memo:
        return memo[id(fn)] or fn
    if (getattr(fn, "__module__", None) or "").split(".")[0] in _SKIP_MODULES:
        return fn
    memo[id(fn)] = None  # recursion: the original, until the copy exists
    code = fn.__code__
    new_globals = {}
    for name in _names(code, set()):
        v = fn.__globals__.get(name)
        if inspect.isfunction(v):
            w = _rewrite(v, ruled, memo, depth + 1)
            if w is not v:
                new_globals[name] = w
    cells = list(fn.__closure__ or ())
    changed_cells = False
    for i, cell in enumerate(cells):
        try:
            v = cell.cell_contents
        except ValueError:
            continue
        if inspect.isfunction(v):
            w = _rewrite(v, ruled, memo, depth + 1)
            if w is not v:
                cells[i] = types.CellType(w)
                changed_cells = True
    if not new_globals and not changed_cells:
        return fn
    g = fn.__globals__
    if new_globals:
        g = dict(g)
        g.update(new_globals)
    new = types.FunctionType(code, g, fn.__name__, fn.__defaults__, tuple(cells) or None)
    new.__kwdefaults__ = fn.__kwdefaults__
    new.__dict__.update(fn.__dict__)
    if new_globals and _stores_globals(code):
        new = _writing_back(new, g, fn.__globals__, set(new_globals))
    memo[id(fn)] = new
    return new


def _writing_back(new, copy, real, ours):
    """``global`` statements in the copy must still write the real module."""

    @functools.wraps(new)
    def call(*args, **kwargs):
        try:
            return new(*args, **kwargs)
        finally:
            for k, v in copy.items():
                if k not in ours and real.get(k, _ABSENT) is not v:
                    real[k] = v

    return call


_ABSENT = object()


def with_user_rules(f):
    """``f`` as the tape should run it: calls of user functions that have a registered
    rule are recorded with that rule."""
    ruled = _ruled_functions()
    if not ruled:
        return f
    memo = {}
    if inspect.ismethod(f):
        new = _rewrite(f.__func__, ruled, memo, 0)
        return f if new is f.__func__ else types.MethodType(new, f.__self__)
    if isinstance(f, functools.partial):
        new = with_user_rules(f.func)
        return f if new is f.func else functools.partial(new, *f.args, **f.keywords)
    call = getattr(type(f), "__call__", None)  # noqa: B004 - the class's own __call__
    if not inspect.isfunction(f) and inspect.isfunction(call):
        return with_user_rules(f.__call__)
    return _rewrite(f, ruled, memo, 0)


def _call(f, ba, wrt, has_aux=False):
    """Run ``f`` on the bound (already converted and copied) arguments, ``wrt`` as leaves."""
    originals, leaves = {}, {}
    arguments = ba.arguments
    like = _device_array(arguments.values())
    for w in wrt:
        plain = w[:1] != "*"  # (else an item of *args)
        v = originals[w] = arguments[w] if plain else _args.arg_get(ba, w)
        leaf = leaves[w] = _leaf(v, like)
        # the function gets a copy that is not a leaf, so it may assign into it
        # (x[0] = ...) as NumPy code does; gradients flow back to the leaf
        own = plain and (type(v) is np.ndarray or type(v) is float)
        own = own and type(leaf) in _LEAF_TYPES and leaf._fn is None
        copy = _own_working_copy(leaf) if own else _working_copy(leaf)
        if plain:
            arguments[w] = copy
        else:
            _args.arg_set(ba, w, copy)

    numpy_mode.hold_arguments(ba.arguments, wrt)
    with (
        _levels.level() as nested,
        numpy_mode.running(),
        numpy_mode.arrays_on_device_of(like),
    ):
        args, kwargs = _call_args(ba)
        out = numpy_mode.numpy_program(with_user_rules(f))(*args, **kwargs)
    aux = None
    if has_aux:
        out, aux = _args_split_aux(out, getattr(f, "__name__", "f"))
        aux = _unwrap(aux) if not nested else aux
    return out, originals, leaves, aux, nested


def _device_array(values):
    """The first device (CuPy) array among the arguments, in containers too, else None."""
    for v in values:
        t = type(v)
        if t is np.ndarray or t is float or t is int:
            continue
        if isinstance(v, (tuple, list)):
            found = _device_array(v)
        elif isinstance(v, dict):
            found = _device_array(v.values())
        else:
            data = v._data if isinstance(v, Tensor) else v
            found = data if is_cupy(data) else None
        if found is not None:
            return found
    return None


_PLAIN = {}  # id(signature) -> (signature, whether all its parameters are positional)
_POSITIONAL = (
    inspect.Parameter.POSITIONAL_ONLY,
    inspect.Parameter.POSITIONAL_OR_KEYWORD,
)


def _call_args(ba):
    """``(ba.args, ba.kwargs)``: the arguments in order, when every parameter of a plain
    signature is bound (``inspect.BoundArguments`` finds the same, the long way)."""
    sig = ba.signature
    hit = _PLAIN.get(id(sig))  # (by identity: a default may be unhashable)
    if hit is not None and hit[0] is sig:
        plain = hit[1]
    else:
        plain = all(p.kind in _POSITIONAL for p in sig.parameters.values())
        if len(_PLAIN) >= 256:
            _PLAIN.clear()
        _PLAIN[id(sig)] = (sig, plain)
    arguments = ba.arguments
    if plain and len(arguments) == len(sig.parameters):
        return tuple(arguments.values()), {}
    return ba.args, ba.kwargs


def _args_split_aux(out, fname):
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise TypeError(
            f"{fname}: with has_aux=True the function must return a pair (scalar, aux), "
            f"got {type(out).__name__}"
        )
    return out[0], out[1]


def _grads_for(
    out, leaves, originals, wrt, grad_outputs=None, create_graph=False, retain_graph=None
):

    plain = [leaves[w] for w in wrt]
    if all(type(t) in _LEAF_TYPES for t in plain):
        inputs = plain  # (the common call: a leaf per argument, no container to walk)
    else:
        inputs = [t for w in wrt for t in _flat_leaves(leaves[w], [])]
    if grad_outputs is None and type(out) in _LEAF_TYPES:
        outs, gos = ([out], [None]) if out._rg else ([], [])
    else:
        outs, gos = _paired_outputs(out, grad_outputs)
    if not outs or not inputs:
        grads = [None] * len(inputs)
    else:
        with warnings.catch_warnings():
            # a complex gradient cast to a real leaf's dtype loses its imaginary part:
            # complex values inside the function, which srcad's rules do not take
            warnings.simplefilter("error", np.exceptions.ComplexWarning)
            try:
                grads = autograd.grad(
                    outs,
                    inputs,
                    grad_outputs=gos,
                    allow_unused=True,
                    create_graph=create_graph,
                    retain_graph=retain_graph,
                )
            except np.exceptions.ComplexWarning:
                raise TypeError(
                    "srcad.grad: a complex value appeared inside the function of real "
                    "arguments; srcad differentiates real arithmetic only (see "
                    "docs/boundary.md: pass real and imaginary parts as real arguments)"
                ) from None
    if inputs is plain:  # (one gradient per argument, as it is)
        if create_graph:
            return [0.0 if g is None else g for g in grads]
        return [_finalize(0.0 if g is None else _raw(g), originals[w]) for g, w in zip(grads, wrt)]
    it = iter(grads if create_graph else [_raw(g) if g is not None else None for g in grads])
    shaped = []
    for w in wrt:
        g = _rebuild(leaves[w], it)
        shaped.append(g if create_graph else _finalize(g, originals[w]))
    return shaped


_LEAF_TYPES = (Tensor, numpy_mode.NumberTensor)


def _finalize(g, x):
    """``arguments.finalize`` with the common case spelled out: the gradient of a Python
    float, a real array of one element, is that float."""
    if (
        type(x) is float
        and (type(g) is np.ndarray or isinstance(g, np.floating))
        and g.dtype.kind == "f"
        and g.size == 1
    ):
        return float(g)
    return _args.finalize(g, x, "f")


def _is_complex(value):
    """``np.iscomplexobj(value)``, without its overhead for numbers and arrays."""
    if type(value) is float:
        return False
    if type(value) is np.ndarray or isinstance(value, np.generic):
        return value.dtype.kind == "c"
    return np.iscomplexobj(value)


# -- outputs that are containers --------------------------------------------------------
#
# ``vjp``/``jvp``/``jacobian`` of a function returning a tuple, list or dict of values:
# every tensor of the output that requires grad is an output of the backward pass, with
# the cotangent at the same place in the cotangent's structure (or, for a cotangent given
# as one array over a tuple or list of values, its slice along the first axis).


def _ct_leaves(template, ct):
    """The cotangent of each tensor of ``template`` (``_flat_leaves`` order)."""

    if isinstance(template, Tensor):
        return [ct]
    if isinstance(template, (tuple, list)):
        if isinstance(ct, dict) or ct is None:
            raise TypeError("the cotangent must have the structure of the function's output")
        return [c for t, e in zip(template, ct) for c in _ct_leaves(t, e)]
    if isinstance(template, dict):
        if not isinstance(ct, dict):
            raise TypeError("the cotangent of a dict output must be a dict with its keys")
        return [c for k, t in template.items() for c in _ct_leaves(t, ct[k])]
    if _args._is_dataclass_obj(template):
        return [
            c
            for f in _args.dataclasses.fields(template)
            for c in _ct_leaves(getattr(template, f.name), getattr(ct, f.name))
        ]
    return []


def _paired_outputs(out, grad_outputs):
    """``(outputs, their cotangents)``: the tensors of ``out`` that require grad."""

    if isinstance(out, Tensor):
        return ([out], [grad_outputs]) if out.requires_grad else ([], [])
    outs = _flat_leaves(out, [])
    cts = [None] * len(outs) if grad_outputs is None else _ct_leaves(out, grad_outputs)
    pairs = []
    for o, c in zip(outs, cts):
        if not o.requires_grad:
            continue
        if c is not None and not isinstance(c, Tensor):
            c = wrap(np.broadcast_to(np.asarray(c, dtype=o._data.dtype), o._data.shape).copy())
        pairs.append((o, c))
    return [o for o, _ in pairs], [c for _, c in pairs]


def _rebuild_like(template, leaves_iter, fill):
    """``template``'s structure with its tensors replaced from ``leaves_iter`` and its
    other leaves by ``fill(leaf)``."""

    if isinstance(template, Tensor):
        return next(leaves_iter)
    if _args._is_namedtuple(template):
        return type(template)(*[_rebuild_like(e, leaves_iter, fill) for e in template])
    if isinstance(template, (tuple, list)):
        return type(template)(_rebuild_like(e, leaves_iter, fill) for e in template)
    if isinstance(template, dict):
        return {k: _rebuild_like(e, leaves_iter, fill) for k, e in template.items()}
    return fill(template)


@_gc_paused
def tape_value_and_grad(f, ba, wrt, fname, has_aux=False):
    """``(value, [gradient per wrt])`` of a scalar function run on the tape
    (``((value, aux), grads)`` with ``has_aux``)."""
    out, originals, leaves, aux, nested = _call(f, ba, wrt, has_aux)
    if nested:
        # inside another tape transformation: the gradient must itself be differentiable
        grads = _grads_for(out, leaves, originals, wrt, create_graph=True)
        return ((out, aux) if has_aux else out), grads
    value = _unwrap(out)
    if _is_complex(value):
        raise TypeError(
            f"{fname}: srcad.grad needs a real scalar output, got a complex value "
            "(see docs/boundary.md)"
        )
    _rt.check_scalar(value if not isinstance(value, (int, float)) else float(value), fname)

    seed = None
    if isinstance(out, Tensor) and out.ndim:
        seed = out.detach() * 0 + 1
    grads = _grads_for(out, leaves, originals, wrt, grad_outputs=seed)
    return ((value, aux) if has_aux else value), grads


@_gc_paused
def tape_vjp(f, ba, wrt, fname="f"):
    """``(value, pullback)`` on the tape; the graph is kept so the pullback can repeat.
    The pullback gives a list (one gradient per wrt)."""

    out, originals, leaves, _, nested = _call(f, ba, wrt)
    value = out if nested else _unwrap(out)

    @_gc_paused
    def pullback(cotangent):
        ct = cotangent if isinstance(cotangent, Tensor) or not isinstance(out, Tensor) else None
        if ct is None:
            ct = wrap(cotangent if hasattr(cotangent, "shape") else np.asarray(cotangent))
        return _grads_for(
            out,
            leaves,
            originals,
            wrt,
            grad_outputs=ct,
            retain_graph=True,
            create_graph=nested,
        )

    return value, pullback


@_gc_paused
def tape_jvp(f, ba, wrt, tangents):
    """Forward mode on the tape by the double-vjp trick (``create_graph``)."""

    out, originals, leaves, _, nested = _call(f, ba, wrt)
    value = out if nested else _unwrap(out)
    if not isinstance(out, Tensor):
        return _container_jvp(out, value, leaves, originals, wrt, tangents, nested)
    if not out.requires_grad:
        return value, _rt.zeros_like(value)
    u = wrap(np.zeros_like(out.detach()._data), rg=True)
    gs = _grads_for(out, leaves, originals, wrt, grad_outputs=u, create_graph=True)
    total = _dot_tree(gs, tangents)
    if total is None or not total.requires_grad:
        return value, _rt.zeros_like(value)
    (jv,) = autograd.grad(total, [u], allow_unused=True, create_graph=nested)
    if nested:
        return value, jv if jv is not None else out * 0
    return value, _rt.finalize(_raw(jv) if jv is not None else 0.0, value)


def _container_jvp(out, value, leaves, originals, wrt, tangents, nested):
    """``tape_jvp`` of a function whose output is a container of values."""

    outs = _flat_leaves(out, [])
    us = [wrap(np.zeros_like(o.detach()._data), rg=True) for o in outs]
    it = iter(us)
    ct = _rebuild_like(out, it, lambda leaf: None)
    gs = _grads_for(out, leaves, originals, wrt, grad_outputs=ct, create_graph=True)
    total = _dot_tree(gs, tangents)
    live = [k for k, o in enumerate(outs) if o.requires_grad]
    jvs = [None] * len(outs)
    if total is not None and total.requires_grad and live:
        got = autograd.grad(total, [us[k] for k in live], allow_unused=True, create_graph=nested)
        for k, jv in zip(live, got):
            jvs[k] = jv
    if nested:
        tangent_out = [jv if jv is not None else o * 0 for jv, o in zip(jvs, outs)]
        return value, _rebuild_like(out, iter(tangent_out), lambda leaf: 0.0)
    flat_values = _flat_leaves(out, [])
    tangent_out = [
        _rt.finalize(_raw(jv) if jv is not None else 0.0, _unwrap(o))
        for jv, o in zip(jvs, flat_values)
    ]
    return value, _rebuild_like(out, iter(tangent_out), lambda leaf: _rt.zeros_like(leaf))


def _dot_tree(gs, ts):
    """``sum <g, t>`` over gradients ``gs`` and tangents ``ts`` of the same structure
    (a tuple/list/dict argument's gradient pairs with its tangent leaf by leaf)."""

    total = None

    def walk(g, t):
        nonlocal total
        if isinstance(g, dict):
            for k in g:
                walk(g[k], t[k] if isinstance(t, dict) else None)
        elif isinstance(g, (tuple, list)):
            for i, gi in enumerate(g):
                walk(gi, t[i] if isinstance(t, (tuple, list)) and i < len(t) else None)
        elif isinstance(g, Tensor) and t is not None:
            term = (g * wrap(np.asarray(t) if not hasattr(t, "shape") else t)).sum()
            total = term if total is None else total + term

    for g, t in zip(gs, ts):
        walk(g, t)
    return total


@_gc_paused
def tape_hvp(f, ba, wrt, as_tuple, v):
    """Hessian-vector product on the tape (reverse over reverse with create_graph)."""

    out, originals, leaves, _, nested = _call(f, ba, wrt)
    gs = _grads_for(out, leaves, originals, wrt, create_graph=True)
    vs = v if as_tuple else (v,)
    total = _dot_tree(gs, vs)
    inputs = [t for w in wrt for t in _flat_leaves(leaves[w], [])]
    if total is None or not total.requires_grad:
        hv = [None] * len(inputs)
    else:
        hv = autograd.grad(total, inputs, allow_unused=True, create_graph=nested)
    if nested:  # inside another tape transformation: keep the outer graph
        it = iter(hv)
        res = [_rebuild(leaves[w], it) for w in wrt]
        return tuple(res) if as_tuple else res[0]
    it = iter([_raw(h) if h is not None else None for h in hv])
    res = [_args.finalize(_rebuild(leaves[w], it), originals[w], "f") for w in wrt]
    return tuple(res) if as_tuple else res[0]
