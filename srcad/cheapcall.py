"""The cheap call: a transformation called again with the same kinds of arguments.

A plain function called with arrays and numbers of the types, shapes and dtypes it
was called with before needs none of the careful call's work (binding, the argument
walk, the cache lookup, private copies when the generated code is argument-pure,
compiler/purity.py).  On a gradient that costs 10 to 20 µs that work is a sixth of
the time, so the runner for one argument key is generated as straight-line Python,
the way a person would write it for that signature: the key is checked inline (no
key tuple is built, no dictionary asked), each array argument is passed as a
read-only view (a wrong purity verdict becomes NumPy's "read-only" error and the
call is redone the careful way) unless the code reads it only as an operand
(``purity.operand_parameters``: then it goes as it is, and a result that is that
very array is copied), and a gradient already of its argument's type, shape and
dtype is returned as it is.

What it may answer is exactly what the careful call answers; anything else returns
one of two sentinels:

- ``OTHER_KEY``: the arguments are not of this runner's key (the caller looks in its
  table of runners by key);
- ``MISS``: the key fits but the call must go the careful way (the cached code is
  stale, the rule registry changed, the transformation fell back to the tape, the
  generated code raised a refusal, or a purity verdict was wrong).

``api._Transformation`` keeps the runner made last in ``_run`` (tried first) and
every runner by key in ``_fast``.  Tests: tests/boundary/test_cheap_call.py.
"""

import types
import weakref

import numpy as np

from .errors import UnsupportedError

MISS = object()
OTHER_KEY = object()


def key_of(args):
    """``(shape, dtype)`` of each array and the type of each number among ``args``,
    or None when there is anything else: the key of a runner."""
    key = []
    for v in args:
        t = type(v)
        if t is np.ndarray:
            key.append((v.shape, v.dtype))
        elif t is float or t is int:
            key.append(t)
        else:
            return None
    return tuple(key)


def make_runner(tr, entry, key, wrt_pos, checked, note):
    """The runner of transformation ``tr`` for argument ``key`` (``key_of``), calling
    the product of cache ``entry``; ``wrt_pos``: positions of the differentiated
    arguments; ``checked(g, x, name)`` gives a gradient as the careful call would;
    ``note(exc)`` annotates an error raised inside generated code."""
    from .compiler.cache import fresh
    from .rules import registry

    target = tr._t.fn
    if type(target) is types.MethodType:
        fn, bound_self = target.__func__, target.__self__
    else:
        fn, bound_self = target, None
    env = {
        "MISS": MISS,
        "OTHER_KEY": OTHER_KEY,
        "ndarray": np.ndarray,
        "float": float,
        "float64": np.float64,
        "int": int,
        "type": type,
        "len": len,
        "me": weakref.ref(tr),  # (tr holds the runner: no cycle for the collector)
        "entry": entry,
        "version": registry.VERSION,
        "check": entry.quick(),
        "fresh": fresh,
        "fn": fn,
        "bound_self": bound_self,
        "target": target,
        "prefix": tr._bound_in_front()[0],
        "checked": checked,
        "note": note,
        "name": tr.__name__,
        "Unsupported": UnsupportedError,
        "ZeroDivision": ZeroDivisionError,
        "read_only": _read_only_error,
    }
    n = len(key)
    names = [f"a{i}" for i in range(n)]
    lines = ["def run(args):", f"    if len(args) != {n}:", "        return OTHER_KEY"]
    if n:
        lines.append(f"    {', '.join(names)}{',' if n == 1 else ''} = args")
    for i, k in enumerate(key):
        a = names[i]
        if type(k) is tuple:
            env[f"S{i}"], env[f"D{i}"] = k
            lines.append(
                f"    if type({a}) is not ndarray or {a}.shape != S{i} or not "
                f"({a}.dtype is D{i} or {a}.dtype == D{i}):"
            )
        else:
            lines.append(f"    if type({a}) is not {k.__name__}:")
        lines.append("        return OTHER_KEY")
    # an argument the product reads only as an operand of an operator needs no view
    # (purity.operand_parameters); a product rebuilt for an edited function gets views
    front = len(env["prefix"])
    operands = {p - front for p in getattr(entry.product, "__srcad_operands__", ())}
    arrays = [i for i, k in enumerate(key) if type(k) is tuple]
    lines += [
        "    tr = me()",
        "    if tr is None or tr._fell_back or entry.version != version[0]:",
        "        return MISS",
        "    if check(fn, bound_self):",
        f"        product = {'entry.bind(fn)' if entry.rebind else 'entry.product'}",
    ]
    lines += _views([i for i in arrays if i not in operands], "        ")
    lines += [f"        v{i} = a{i}" for i in arrays if i in operands]
    lines += [
        "    else:",
        "        product = fresh(entry, target)",
        "        if product is None:",
        "            return MISS",
    ]
    lines += _views(arrays, "        ")
    call = [f"v{i}" if type(k) is tuple else f"a{i}" for i, k in enumerate(key)]
    lines += [
        "    try:",
        f"        out = product({'*prefix, ' if env['prefix'] else ''}{', '.join(call)})",
        "    except (Unsupported, ZeroDivision):",
        "        return MISS  # (the careful call decides: a late fallback to the tape)",
        "    except ValueError as exc:",
        "        if read_only(tr, exc):",
        "            return MISS",
        "        note(exc)",
        "        raise",
        "    except Exception as exc:",
        "        note(exc)",
        "        raise",
        "    last = tr._last",
        "    if last is None or last[0] is not product:",
        "        tr._last = (product, entry.source)",
    ]
    with_value = tr.kind == "value_and_grad"
    bare = [f"a{i}" for i in arrays if i in operands]  # (passed without a view)
    if with_value:
        mine = "".join(f" or value is {a}" for a in bare)
        lines += [
            "    value, grads = out",
            f"    if type(value) is ndarray and (not value.flags.writeable{mine}):",
            "        value = value.copy()",
        ]
    else:
        lines.append("    grads = out")
    several = tr._tuple and len(tr._wrt) > 1
    gs = [f"g{j}" for j in range(len(wrt_pos))]
    if several:
        lines.append(f"    {', '.join(gs)} = grads")
    else:
        lines.append("    g0 = grads")
    for j, i in enumerate(wrt_pos):
        k = key[i]
        g = gs[j]
        if bare:  # never the caller's own array (purity.operand_parameters rules it out)
            lines += [
                f"    if {' or '.join(f'{g} is {a}' for a in bare)}:",
                f"        {g} = {g}.copy()",
            ]
        if type(k) is tuple:
            lines += [
                f"    if not (type({g}) is ndarray and {g}.shape == S{i} and "
                f"{g}.dtype is a{i}.dtype and {g}.flags.writeable):",
                f"        {g} = checked({g}, a{i}, name)",
            ]
        elif k is float:  # (a NumPy float: finalize's answer is float(g))
            lines += [
                f"    if type({g}) is not float:",
                f"        {g} = float({g}) if type({g}) is float64 else checked({g}, a{i}, name)",
            ]
        else:
            lines += [
                f"    if not (type({g}) is float and type(a{i}) is float):",
                f"        {g} = checked({g}, a{i}, name)",
            ]
    if tr._tuple:
        result = f"({', '.join(gs)},)"
    else:
        result = "g0"
    lines.append(f"    return (value, {result})" if with_value else f"    return {result}")
    code = compile("\n".join(lines) + "\n", f"<srcad cheap call of {tr.__name__}>", "exec")
    exec(code, env)
    return env.pop("run")  # (left in its own globals, it would be a reference cycle)


def _views(positions, indent):
    """Lines binding ``v{i}``, a read-only view of argument ``a{i}``, for each position."""
    out = []
    for i in positions:
        out += [f"{indent}v{i} = a{i}.view()", f"{indent}v{i}.setflags(write=False)"]
    return out


def _read_only_error(tr, exc):
    """Whether ``exc`` is NumPy's error for a write into a read-only view: the purity
    verdict was wrong, so the cheap call is switched off and this call redone."""
    if "read-only" in str(exc):
        tr._fast = None
        tr._run = None
        return True
    return False
