"""Every registered rule proven: a generated table over ``registry.all_rules()``.

For each primitive with a derivative rule, hypothesis draws calls from its
generator entries (``specs.py``) and checks, against central finite differences
in float64:

* the rule itself: the tape's backward function (``registry.backward_fn``) and
  the tangent template (or the linear rule), as ``rules_eval`` evaluates them;
* source mode: ``srcad.grad(f, mode="source")`` and ``srcad.jvp(h, mode="source")``
  of a tiny function generated to call the primitive
  (``y = P(a0, k_axis=...)``, ``return np.sum(c * y)``);
* the tape: ``srcad.grad(f, mode="tape")`` of the same function (primitives that
  return several arrays are refused by the tape, and that refusal is checked);
* second order for the primitives marked ``second``: ``srcad.hvp`` against finite
  differences of ``srcad.grad``.

float32 inputs keep float32 gradients (compared loosely with the float64 finite
differences); complex inputs and outputs use JAX's convention: a real loss of a
complex ``z`` has the gradient ``dL/dRe z - 1j dL/dIm z``.

A registered differentiable primitive without a generator entry fails
``test_every_rule_has_a_generator``; a new rule cannot be added unproven.

Examples per entry: ``SRCAD_RULE_EXAMPLES`` (default 1; the default run covers
every primitive in well under a minute of CPU).  For a thorough run::

    SRCAD_RULE_EXAMPLES=25 SRCAD_RULE_ALL_ROWS=1 python -m pytest tests/rules/test_generated.py
"""

import linecache
import os
import re
import warnings

import numpy as np
import pytest
import rules_eval as RE
import test_rules_table as T
from hypothesis import HealthCheck, Phase, given, settings

import srcad
from srcad.rules import registry

from . import specs

EXAMPLES = int(os.environ.get("SRCAD_RULE_EXAMPLES", "1"))
# By default one hand-written row per irregular primitive (test_rules_table.py runs
# every row at the rule level); SRCAD_RULE_ALL_ROWS=1 runs all of them here too.
ALL_ROWS = os.environ.get("SRCAD_RULE_ALL_ROWS", "") not in ("", "0")
EPS = 1e-6

# Rules registered for runtime functions that are not primitives users call: the
# compiler's own bookkeeping (tested with the compiler) and the backward helpers
# of the tape's torch-style ops.  Each needs a reason; anything else needs an entry.
EXEMPT = {
    "concat_adj": "compiler bookkeeping (list +), tested by tests/compiler",
    "setitem_adj": "compiler bookkeeping (x[i] = v), tested by tests/compiler",
    "pop_adj": "compiler bookkeeping (list.pop), tested by tests/compiler",
    "push_adj": "compiler bookkeeping (list.append), tested by tests/compiler",
    "set_tangent": "compiler bookkeeping (forward x[i] = v), tested by tests/compiler",
    "restore_tangent": "compiler bookkeeping (forward overwrite), tested by tests/compiler",
    "add": "compiler bookkeeping (adjoint accumulation), tested by tests/compiler",
    "add_at": "compiler bookkeeping (x[i] adjoint), tested by tests/compiler",
    "add_at_inplace": "compiler bookkeeping (x[i] adjoint), tested by tests/compiler",
    "getitem_adj": "compiler bookkeeping, tested by tests/compiler",
    "display_entry_adj": "compiler bookkeeping, tested by tests/compiler/test_dict_adjoints.py",
    "index_value": "compiler bookkeeping, tested by tests/compiler",
    "broadcast_like": "compiler bookkeeping, tested by tests/compiler",
    "unbroadcast": "compiler bookkeeping, tested by tests/compiler",
    "sum_to_like": "alias of unbroadcast",
    "expand_reduced": "adjoint helper; in test_rules_table._LEAD_HELPERS",
    "mean_adjoint": "adjoint helper; row in test_rules_table.HELPER_ROWS",
    "matmul_adjoint_a": "adjoint helper; in test_rules_table._LEAD_HELPERS",
    "matmul_adjoint_b": "adjoint helper; in test_rules_table._LEAD_HELPERS",
    "log_or_zero": "adjoint helper; in test_rules_table._LEAD_HELPERS",
    # backward helpers of the tape's torch-style ops (their rules serve double backward)
    "conv2d_input_grad": "backward helper of nn_ops.conv2d",
    "conv2d_weight_grad": "backward helper of nn_ops.conv2d",
    "max_pool2d_grad": "backward helper of nn_ops.max_pool2d",
    "max_pool2d_gather": "backward helper of nn_ops.max_pool2d",
    "nll_loss_grad": "backward helper of nn_ops.nll_loss",
    "put_along": "backward helper of tape_ops.extreme_dim",
    "take_along": "backward helper of tape_ops.extreme_dim",
    "getitem_adjoint": "backward helper of tape_ops.getitem",
    "zero_at": "backward helper of tape_ops.index_put",
    "sum_like": "backward helper of tape_ops.copy_to",
    "view_scatter": "backward helper of tape_ops.as_view",
    "copy_to": "in-place copy into a region of a tape tensor (tests/tape)",
    "index_put": "in-place index assignment of a tape tensor (tests/tape)",
    "index_put_last": "index assignment in a NumPy program on the tape "
    "(tests/compiler/test_repeated_index_writes.py)",
    "as_view": "view step of an in-place update of a tape view (tests/tape)",
    "to_array_module": "device move of a tape tensor (tests/tape, tests/test_cupy)",
    "list": "container constructor, tested by tests/compiler",
    "array_adjoint": "adjoint helper of np.array (rows np.array/np.asarray in specs.py)",
    "adjoint_like": "compiler bookkeeping (a list passed as an array), tested by tests/compiler",
    "instantiate": "compiler bookkeeping (symbolic zero at the boundary), tests/compiler",
    "addmm": "torch-style op of F.linear, compared with torch in tests/tape",
    "linalg_cholesky": "torch.linalg.cholesky (symmetric gradient), compared with torch in "
    "tests/tape",
    "tuple": "container constructor, tested by tests/compiler",
}


def _differentiable(rule):
    return not rule.nondiff and (
        rule.adjoint is not None or rule.tangent is not None or rule.linear is not None
    )


def _helper_rows():
    return {id(r.prim) for r in T.HELPER_ROWS + T.JVP_ROWS}


def test_every_rule_has_a_generator():
    covered_helpers = _helper_rows()
    missing = []
    for rule in registry.all_rules():
        if not _differentiable(rule):
            continue
        tpl = rule.adjoint or rule.tangent
        if tpl is not None and not tpl.fn.__module__.startswith("srcad."):
            continue  # a user's rule (the tests and docs register some)
        key = registry._key(rule.prim)
        name = getattr(rule.prim, "__name__", rule.name)
        if key in specs.SPECS or name in EXEMPT:
            continue
        module = getattr(rule.prim, "__module__", "") or ""
        if module.startswith("srcad.runtime") and id(rule.prim) in covered_helpers:
            continue  # a runtime helper with its own row in test_rules_table
        missing.append(rule.name)
    assert not missing, f"rules without a generator entry (add one to specs.py): {missing}"


def test_exemptions_are_registered_rules():
    names = {getattr(r.prim, "__name__", r.name) for r in registry.all_rules()}
    stale = sorted(set(EXEMPT) - names)
    assert not stale, f"exemptions for rules that no longer exist: {stale}"


# ---------------------------------------------------------------------------
# Values: flattening, pairing, finite differences (complex aware)


def _is_cplx(x):
    if isinstance(x, (list, tuple)):
        return any(_is_cplx(v) for v in x)
    return np.iscomplexobj(x)


def flat(x):
    if isinstance(x, dict):
        return flat([x[k] for k in sorted(x)])
    if isinstance(x, (list, tuple)):
        parts = [flat(v) for v in x if v is not None]
        return np.concatenate(parts) if parts else np.zeros(0)
    a = np.asarray(x)
    return np.ravel(a.astype(np.complex128 if _is_cplx(a) else np.float64))


def cotangent(y, rng, sparse=None):
    if isinstance(y, (list, tuple)):
        out = [cotangent(v, rng) for v in y]
        for i in sparse or ():
            out[i] = 0.0
        return tuple(out) if not isinstance(y, list) else out
    if isinstance(y, float):
        return float(rng.normal())
    shape = np.shape(y)
    c = rng.normal(size=shape)
    if _is_cplx(y):
        c = c + 1j * rng.normal(size=shape)
    dtype = getattr(y, "dtype", None)
    if dtype is not None and dtype.kind in "fc":
        c = np.asarray(c).astype(np.result_type(dtype, np.float32))
    return c


def pair(c, y):
    """``Re(sum(c * y))`` over matching structures; ``0.0`` entries count as zero."""
    if isinstance(c, float) and c == 0.0 and isinstance(y, (list, tuple, np.ndarray)):
        return 0.0
    if isinstance(y, (list, tuple)):
        return sum(pair(ci, yi) for ci, yi in zip(c, y))
    return float(np.real(np.sum(np.asarray(c) * np.asarray(y, dtype=np.result_type(y, 1.0)))))


def _to64(x):
    if isinstance(x, np.ndarray) and x.dtype.kind == "f":
        return x.astype(np.float64)
    if isinstance(x, np.ndarray) and x.dtype.kind == "c":
        return x.astype(np.complex128)
    if isinstance(x, list):
        return [_to64(v) for v in x]
    if isinstance(x, tuple):
        return tuple(_to64(v) for v in x)
    return x


def _leaves(x):
    """The differentiable leaves of ``x`` and a function rebuilding ``x`` from new leaves."""
    if isinstance(x, dict):
        keys = sorted(x)
        return [x[k] for k in keys], lambda vs: dict(zip(keys, vs))
    if isinstance(x, (list, tuple)):
        kind = type(x)
        return list(x), lambda vs: kind(vs)
    return [x], lambda vs: vs[0]


def fd_reverse(loss, x, eps=EPS):
    """Central differences of the real scalar ``loss`` in ``x`` (JAX convention for complex)."""
    leaves, rebuild = _leaves(x)
    grads = []
    for j, leaf in enumerate(leaves):
        is_float = isinstance(leaf, float)
        arr = np.array(leaf, dtype=np.complex128 if _is_cplx(leaf) else np.float64)
        g = np.zeros(arr.shape, dtype=arr.dtype)
        for i in range(arr.size):
            for step, weight in ((1.0, 1.0), (1j, -1j)) if _is_cplx(arr) else ((1.0, 1.0),):
                vals = []
                for sgn in (1.0, -1.0):
                    w = arr.copy()
                    w.reshape(-1)[i] += sgn * eps * step
                    new = list(leaves)
                    new[j] = float(w) if is_float else w
                    vals.append(loss(rebuild(new)))
                g.reshape(-1)[i] += weight * (vals[0] - vals[1]) / (2 * eps)
        grads.append(float(g) if is_float else g)
    return rebuild(grads)


def fd_forward(fun, x, t):
    """Central differences of ``fun`` at ``x`` along ``t`` (flattened)."""
    lx, rebuild = _leaves(x)
    lt, _ = _leaves(t)
    vals = []
    for sgn in (1.0, -1.0):
        new = []
        for a, d in zip(lx, lt):
            v = np.asarray(a) + sgn * EPS * np.asarray(d)
            new.append(float(v) if isinstance(a, float) else v)
        vals.append(flat(fun(rebuild(new))))
    return (vals[0] - vals[1]) / (2 * EPS)


def random_like(x, rng):
    if isinstance(x, dict):
        return {k: random_like(v, rng) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return type(x)(random_like(v, rng) for v in x)
    if isinstance(x, float):
        return float(rng.normal())
    t = rng.normal(size=np.shape(x))
    if _is_cplx(x):
        t = t + 1j * rng.normal(size=np.shape(x))
    return t.astype(np.asarray(x).dtype) if isinstance(x, np.ndarray) else t


def close(got, want, rtol, what, loose=False):
    if type(got) is float and got == 0.0 and np.ndim(want) > 0:
        got = np.zeros_like(np.asarray(want))  # the zero placeholder
    if isinstance(want, dict) and isinstance(got, dict):
        got = {k: got.get(k, np.zeros_like(np.asarray(v))) for k, v in want.items()}
    got, want = flat(got), flat(want)
    assert got.shape == want.shape, f"{what}: {got.size} entries, expected {want.size}"
    scale = max(1.0, float(np.max(np.abs(want))) if want.size else 1.0)
    if loose:
        rtol = max(rtol, 5e-3)
    np.testing.assert_allclose(
        got, want, rtol=rtol, atol=(5e-3 if loose else 1e-6) * scale, err_msg=what
    )


def _has_f32(case):
    def f32(v):
        if isinstance(v, (list, tuple)):
            return any(f32(x) for x in v)
        return isinstance(v, np.ndarray) and v.dtype in (np.float32, np.complex64)

    return f32(case.args) or f32(list(case.kw.values()))


# ---------------------------------------------------------------------------
# The checks


def _call(prim, args, kw, transform=None):
    if transform is not None:
        args, kw = transform(args, kw)
    return prim(*args, **kw)


def check_rule(prim, case, rng):
    """The rule as the engines read it (backward_fn; tangent template / linear rule)."""
    args, kw = case.args, case.kw
    y = prim(*args, **kw)
    c = cotangent(y, rng, case.sparse)
    loose = _has_f32(case)
    eps = specs.options(prim).get("eps", EPS)
    rtol = specs.options(prim).get("rtol", case.rtol)
    args64, kw64 = _to64(args), {k: _to64(v) for k, v in kw.items()}
    rule = registry.lookup(prim)
    grads = RE.vjp(prim, args, kw, c, case.wrt) if rule.adjoint is not None else {}
    for key in grads:
        x = RE.get(args, kw, key)

        def loss(v, key=key):
            a, k = RE.put(args64, kw64, key, v)
            return pair(c, _call(prim, a, k, case.transform))

        want = fd_reverse(loss, RE.get(args64, kw64, key), eps)
        g = grads[key]
        assert g is not None, f"no gradient for {key!r}"
        close(g, want, rtol, f"rule adjoint d/d[{key!r}]", loose)
        y32 = all(not hasattr(v, "dtype") or v.dtype == np.float32 for v in _items(y))
        if isinstance(x, np.ndarray) and x.dtype == np.float32 and hasattr(g, "dtype") and y32:
            assert g.dtype == np.float32, f"float32 input, {g.dtype} gradient"
    if rule.tangent is None and rule.linear is None:
        return
    tangents = {k: random_like(RE.get(args, kw, k), rng) for k in case.wrt}
    if specs.options(prim).get("tangent_refused"):
        with pytest.raises(NotImplementedError, match="second derivatives"):
            RE.jvp(prim, args, kw, tangents)
        return
    if case.transform is not None:
        tangents = {k: _sym_if(case, k, t) for k, t in tangents.items()}
    got = _select(prim, RE.jvp(prim, args, kw, tangents))
    keys = list(tangents)

    def fun(vals):
        a, k = args64, kw64
        for key, v in zip(keys, vals):
            a, k = RE.put(a, k, key, v)
        return _select(prim, _call(prim, a, k, case.transform))

    x0 = [RE.get(args64, kw64, k) for k in keys]
    want = _fd_multi(fun, x0, [_to64(tangents[k]) for k in keys], eps)
    close(got, want, rtol, "rule tangent", loose)


def _select(prim, y):
    """The outputs whose tangents finite differences can see (``tangent_outputs``)."""
    keep = specs.options(prim).get("tangent_outputs")
    return y if keep is None else tuple(y[i] for i in keep)


def _items(y):
    return list(y) if isinstance(y, (list, tuple)) else [y]


def _sym_if(case, key, t):
    return 0.5 * (t + np.swapaxes(t, -1, -2)) if key == 0 and np.ndim(t) >= 2 else t


def _fd_multi(fun, xs, ts, eps=EPS):
    vals = []
    for sgn in (1.0, -1.0):
        new = [_shift(x, t, sgn, eps) for x, t in zip(xs, ts)]
        vals.append(flat(fun(new)))
    return (vals[0] - vals[1]) / (2 * eps)


def _shift(x, t, sgn, eps=EPS):
    if isinstance(x, dict):
        return {k: _shift(x[k], t[k], sgn, eps) for k in x}
    if isinstance(x, (list, tuple)):
        return type(x)(_shift(a, b, sgn, eps) for a, b in zip(x, t))
    v = np.asarray(x) + sgn * eps * np.asarray(t)
    return float(v) if isinstance(x, float) else v


# -- the generated functions ----------------------------------------------------

_FUNCS = {}


def _params(case):
    names, values = [], []
    for i, a in enumerate(case.args):
        names.append(f"a{i}")
        values.append(a)
    for k, v in case.kw.items():
        names.append(f"k_{k}")
        values.append(v)
    call_pos = [f"a{i}" for i in range(len(case.args))]
    call_kw = [f"{k}=k_{k}" for k in case.kw]
    wrt = [i if isinstance(i, int) else len(case.args) + list(case.kw).index(i) for i in case.wrt]
    return names, values, ", ".join(call_pos + call_kw), wrt


def _loss_expr(y, sparse):
    # (a complex output is paired with its cotangent by the real part: grad takes a
    # real loss only, as JAX's does; the check read the name, not the value, and so
    # the loss was complex until grad refused complex outputs)
    def term(c, v, value):
        if _is_cplx(value):
            return f"np.sum(np.real({c} * {v}))"
        return f"np.sum({c} * {v})"

    if isinstance(y, (list, tuple)):
        terms = []
        for i, v in enumerate(y):
            kind = np.asarray(v).dtype.kind
            if i in (sparse or ()) or kind not in "fc":
                continue
            terms.append(term(f"c[{i}]", f"y[{i}]", v))
        return " + ".join(terms) if terms else "0.0"
    return term("c", "y", y)


def _function(prim, src, name):
    key = (id(prim), src)
    fn = _FUNCS.get(key)
    if fn is None:
        filename = f"<srcad rule table {len(_FUNCS)}>"
        linecache.cache[filename] = (len(src), None, src.splitlines(True), filename)
        namespace = {"np": np, "P": prim}
        exec(compile(src, filename, "exec"), namespace)
        fn = _FUNCS[key] = namespace[name]
    return fn


def _is_cplx_out(y):
    if isinstance(y, (list, tuple)):
        return any(_is_cplx(v) for v in y)
    return _is_cplx(y)


def _multi(y):
    return isinstance(y, (list, tuple)) and any(hasattr(v, "shape") for v in y)


def check_engines(prim, case, rng):
    names, values, call, wrt = _params(case)
    y = prim(*case.args, **case.kw)
    c = cotangent(y, rng, case.sparse)
    if case.transform is not None:
        return  # the primitive reads a symmetric matrix: checked at the rule level only
    loose = _has_f32(case)
    eps = specs.options(prim).get("eps", EPS)
    rtol = specs.options(prim).get("rtol", case.rtol)
    src = (
        f"def f({', '.join(names + ['c'])}):\n"
        f"    y = P({call})\n"
        f"    return {_loss_expr(y, case.sparse)}\n"
    )
    f = _function(prim, src, "f")
    full = values + [c]
    full64 = [_to64(v) for v in full]
    wants = []
    for i in wrt:

        def loss(v, i=i):
            a = list(full64)
            a[i] = v
            return float(np.real(f(*a)))

        wants.append(fd_reverse(loss, full64[i], eps))
    opts = specs.options(prim)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = srcad.grad(f, wrt=tuple(wrt), mode="source")(*full)
        for g, w, i in zip(got, wants, wrt):
            close(g, w, rtol, f"source-mode gradient of argument {names[i]}", loose)
        tape = opts.get("tape", "checked")
        if any(_is_cplx(v) for v in full) or _is_cplx_out(y):
            pass  # the tape has no complex dtypes (PyTorch semantics): source mode only
        elif tape.startswith("known-issue"):
            pass  # listed in specs.py and in the report; not a claim of this table
        elif prim in (max, min) and "tie" in case.label:
            pass  # the tape runs Python's max on tensors: a tie goes to the one returned
        elif _multi(y) or tape == "refused":
            # the tape records these when the program runs in NumPy mode; where it
            # cannot, it refuses with PyTorch's error: never a wrong number
            try:
                got = srcad.grad(f, wrt=tuple(wrt), mode="tape")(*full)
            except RuntimeError as exc:
                assert re.search(r"several arrays|numpy\(\)|no derivative rule", str(exc))
            else:
                for g, w, i in zip(got, wants, wrt):
                    close(g, w, rtol, f"tape gradient of argument {names[i]}", loose)
        else:
            got = srcad.grad(f, wrt=tuple(wrt), mode="tape")(*full)
            for g, w, i in zip(got, wants, wrt):
                close(g, w, rtol, f"tape gradient of argument {names[i]}", loose)
        if not opts.get("fwd", True):
            with pytest.raises(srcad.UnsupportedError, match="no forward-mode rule"):
                srcad.jvp(
                    _function(prim, f"def h({', '.join(names)}):\n    return P({call})\n", "h"),
                    wrt=tuple(wrt),
                    mode="source",
                )(*values, tuple(random_like(values[i], rng) for i in wrt))
            return
        # forward mode on the primitive's own output
        hsrc = f"def h({', '.join(names)}):\n    return P({call})\n"
        h = _function(prim, hsrc, "h")
        ts = tuple(random_like(values[i], rng) for i in wrt)
        _, t = srcad.jvp(h, wrt=tuple(wrt), mode="source")(*values, ts)
        t = _select(prim, t)

        def fun(vals):
            a = [_to64(v) for v in values]
            for i, v in zip(wrt, vals):
                a[i] = v
            return _select(prim, h(*a))

        want = _fd_multi(fun, [_to64(values[i]) for i in wrt], [_to64(v) for v in ts], eps)
        close(t, want, rtol, "source-mode tangent", loose)
        smooth = not getattr(case, "from_row", False)  # rows include ties and zeros
        if (
            opts.get("second")
            and smooth
            and not loose
            and not any(_is_cplx(values[i]) for i in wrt)
        ):
            check_second(f, full, wrt[0], rng, case.rtol)


def check_second(f, full, i, rng, rtol):
    v = random_like(full[i], rng)
    hv = srcad.hvp(f, wrt=i)(*full, v)
    g = srcad.grad(f, wrt=i, mode="source")

    def at(s):
        a = list(full)
        a[i] = _shift(full[i], v, s)
        return g(*a)

    want = (flat(at(1.0)) - flat(at(-1.0))) / (2 * EPS)
    close(hv, want, max(rtol, 1e-4), "second order (hvp)")


# ---------------------------------------------------------------------------

ENTRIES = [
    (key, k)
    for key, strats in specs.SPECS.items()
    for k in range(len(strats))
    if ALL_ROWS or k == 0 or not specs.is_row(strats[k])
]


def _entry_id(entry):
    key, k = entry
    rule = registry.lookup(key if not isinstance(key, tuple) else None) if False else None
    prim = key
    name = getattr(prim, "__qualname__", None) or getattr(prim, "__name__", repr(prim))
    mod = (getattr(prim, "__module__", "") or "").replace("numpy.", "np.")
    _ = rule
    return f"{mod}.{name}-{k}"


@pytest.mark.parametrize("entry", ENTRIES, ids=[_entry_id(e) for e in ENTRIES])
def test_rule_against_finite_differences(entry):
    key, k = entry
    prim = key
    strategy = specs.SPECS[key][k]

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def run(case):
        rng = np.random.default_rng(0)
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", np.exceptions.ComplexWarning)
            check_rule(prim, case, rng)
        if specs.options(prim).get("source", True):
            check_engines(prim, case, rng)

    run()
