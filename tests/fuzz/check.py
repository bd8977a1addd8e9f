"""The differential check of one generated program against finite differences.

Design note. The program's source is written to a real file and imported, since
srcad reads source through ``inspect``. It first runs in plain Python: a program
that raises, or returns something other than a finite scalar, is *invalid* and
is not counted. The reference is a central finite difference in float64 of every
element of every differentiated parameter, at two steps (1e-5 and 1e-6, scaled by
the element's size); where the two disagree the point is near a kink or a branch
boundary and the whole program is *dropped*. The finite differences are computed
once and serve every engine and every transformation: ``grad`` for each
parameter alone, ``value_and_grad`` / ``vjp`` (random scalar cotangent) /
``jvp`` (random tangent) for all of them together.

Each (program, mode) gets the worst outcome of its transformations, in the order
wrong > crash > refused > ok:

- refused: ``srcad.UnsupportedError`` (in tape mode also PyTorch's own refusals
  of NumPy code it cannot follow), recorded with the first line of its message;
  an ``UnsupportedError`` that reports srcad's compiler itself failing is a crash;
- crash: any other exception, a time-out, or srcad changing the caller's arrays;
- wrong: a number (value, gradient, vjp, jvp) off the finite difference beyond
  ``atol 1e-6 * scale + rtol 1e-5``, where ``scale = max(1, |f|, max |fd|)``.
"""

from __future__ import annotations

import copy
import dataclasses
import importlib.util
import os
import re
import signal
import sys
import tempfile
import traceback
import warnings

import numpy as np

import srcad

from .gen import make_args

STEPS = (1e-5, 1e-6)
RTOL, ATOL = 1e-5, 1e-6
KINK_RTOL = 1e-7  # two finite differences further apart than this: a kink, dropped
ORDER = {"ok": 0, "refused": 1, "crash": 2, "wrong": 3}
# What the tape answers, as PyTorch would, for NumPy code it cannot follow
TAPE_REFUSALS = (
    "Can't call numpy() on Tensor that requires grad",
    "one of the variables needed for gradient computation has been modified by an inplace",
    "setting an array element with a sequence",
    "returns several arrays",
    # a copy whose value overlaps the region written (FINDINGS W6)
    "refer to a single memory location",
)
COMPILER_FAILED = "srcad's compiler failed"


class Timeout(Exception):
    pass


@dataclasses.dataclass
class Outcome:
    kind: str  # ok / refused / crash / wrong
    api: str = ""  # grad[k] / value_and_grad / vjp / jvp
    cause: str = ""  # refused/crash: first line of the message; wrong: what differs
    expected: str = ""
    got: str = ""
    trace: str = ""  # a crash: the end of its traceback

    @property
    def key(self):
        """What makes two failures the same class (for shrinking and grouping)."""
        if self.kind == "wrong":
            return (self.kind, self.api.split("[")[0])
        inner = re.match(r"srcad's compiler failed on \S+ \((\w+)", self.cause)
        if inner:
            return (self.kind, f"compiler failed: {inner.group(1)}")
        return (self.kind, self.cause[:60])


@dataclasses.dataclass
class Report:
    status: str  # invalid / dropped / checked
    why: str = ""
    value: float = 0.0
    modes: dict = dataclasses.field(default_factory=dict)  # mode -> Outcome


# ---- loading ----------------------------------------------------------------------
_DIR = None
_COUNT = [0]


def load(source, name="f"):
    """Import ``source`` from a real file and return its function ``name``."""
    global _DIR
    if _DIR is None:
        _DIR = tempfile.mkdtemp(prefix="srcad_fuzz_")
    _COUNT[0] += 1
    modname = f"srcad_fuzz_prog_{os.getpid()}_{_COUNT[0]}"
    path = os.path.join(_DIR, modname + ".py")
    with open(path, "w") as fh:
        fh.write(source)
    spec = importlib.util.spec_from_file_location(modname, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[modname] = mod
    try:
        spec.loader.exec_module(mod)
    finally:
        sys.modules.pop(modname, None)
    return getattr(mod, name)


# ---- helpers --------------------------------------------------------------------------
def _copy(args):
    return copy.deepcopy(args)


def _same_inputs(a, b):
    for x, y in zip(a, b):
        if isinstance(x, np.ndarray):
            if not (isinstance(y, np.ndarray) and x.shape == y.shape and np.array_equal(x, y)):
                return False
        elif x != y:
            return False
    return True


def _shares_an_argument(results, args):
    """Whether a result (an array among ``results``) shares memory with an argument:
    srcad never returns a gradient, value or tangent that is a caller's array or a
    view of one (docs/boundary.md)."""
    arrays = [a for a in args if isinstance(a, np.ndarray)]
    for r in results:
        for g in r if isinstance(r, (tuple, list)) else (r,):
            if isinstance(g, np.ndarray) and any(np.shares_memory(g, a) for a in arrays):
                return True
    return False


def _scalar(v):
    """The float of a scalar result, or None when it is not a finite scalar."""
    try:
        if isinstance(v, (bool, np.bool_)) or np.ndim(v) != 0:
            return None
        x = float(v)
    except (TypeError, ValueError):
        return None
    return x if np.isfinite(x) and abs(x) < 1e8 else None


def _low_precision(v):
    """A float16/float32 value: finite differences in float64 cannot check it (a
    step of 1e-6 is below its resolution), so the program is dropped, not judged."""
    dtype = getattr(v, "dtype", None)
    return (
        dtype is not None
        and dtype.kind in "fc"
        and dtype.itemsize < (8 if dtype.kind == "f" else 16)
    )


def _first_line(msg):
    return (str(msg).strip().splitlines() or [""])[0]


def normalize(msg):
    """A message as a cause: no file/line, no generated names, no numbers."""
    line = _first_line(msg)
    line = re.sub(r"^\S+\.py:\d+: ", "", line)
    line = re.sub(r"\b\d+\b", "N", line)
    line = re.sub(r"\b[A-Za-z_]\w*\d\w*\b", "_", line)
    line = re.sub(r" on line N \(.*$", "", line)  # a compiler failure: where, in generated code
    return line[:120]


class _deadline:
    """Raises ``Timeout`` in the main thread after ``seconds`` (no-op elsewhere)."""

    def __init__(self, seconds):
        self.seconds = seconds
        self.armed = False

    def __enter__(self):
        try:
            self.old = signal.signal(signal.SIGALRM, self._fire)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)
            self.armed = True
        except (ValueError, AttributeError):  # not the main thread / no SIGALRM
            pass
        return self

    def _fire(self, *_):
        raise Timeout(f"more than {self.seconds:g} s")

    def __exit__(self, *exc):
        if self.armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.old)
        return False


# ---- the reference -------------------------------------------------------------------
def _perturbed(args, i, j, delta):
    a = _copy(args)
    if isinstance(a[i], np.ndarray):
        a[i].flat[j] += delta
    else:
        a[i] = a[i] + delta
    return a


def finite_differences(f, args, wrt, value):
    """{param index: fd array shaped like the param} or None at a kink.

    Raises whatever the plain program raises on a perturbed input (invalid)."""
    out = {}
    for i in wrt:
        x = np.asarray(args[i], dtype=float)
        fd = np.zeros(x.shape)
        for j in range(x.size):
            scale = max(1.0, abs(float(x.flat[j])))
            est, bend = [], []
            for h0 in STEPS:
                h = h0 * scale
                hi = _scalar(f(*_perturbed(args, i, j, h)))
                lo = _scalar(f(*_perturbed(args, i, j, -h)))
                if hi is None or lo is None:
                    return None
                est.append((hi - lo) / (2 * h))
                bend.append(abs(hi + lo - 2 * value) / h)  # forward minus backward slope
            size = max(1.0, abs(value))
            if abs(est[0] - est[1]) > KINK_RTOL * (size + abs(est[1])):
                return None
            # exactly on a kink (a tie under max, abs at 0): the one-sided slopes differ
            # by the same amount at both steps, where a smooth bend shrinks with the step
            if bend[1] > KINK_RTOL * size and bend[1] > 0.5 * bend[0]:
                return None
            fd.flat[j] = est[1]
        out[i] = fd
    return out


# ---- one engine -------------------------------------------------------------------------
def _close(got, want, scale):
    got = np.asarray(got, dtype=float)
    want = np.asarray(want, dtype=float)
    if got.shape != want.shape:
        return False
    return bool(np.all(np.abs(got - want) <= ATOL * scale + RTOL * np.abs(want)))


def _fmt(x):
    text = np.array2string(np.asarray(x, dtype=float), precision=6, separator=", ")
    return " ".join(text.split())


def _classify_exception(exc, mode):
    if isinstance(exc, srcad.UnsupportedError):
        what = getattr(exc, "what", str(exc))
        if str(what).startswith(COMPILER_FAILED):
            return Outcome("crash", cause=normalize(what))
        return Outcome("refused", cause=normalize(what))
    if mode == "tape" and any(r in str(exc) for r in TAPE_REFUSALS):
        return Outcome("refused", cause=normalize(str(exc)))
    return Outcome("crash", cause=f"{type(exc).__name__}: {normalize(exc)}")


def _as_tuple(g):
    return tuple(g) if isinstance(g, (tuple, list)) else (g,)


def check_mode(f, args, wrt, value, fd, mode, rng, timeout=20.0, which="full"):
    """The worst Outcome of the transformations of ``f`` in ``mode``.

    ``which="full"``: grad of each parameter alone, value_and_grad, vjp and jvp;
    ``"rotate"``: value_and_grad, jvp and one of the others, drawn per program."""
    pristine = _copy(args)
    scale = max(1.0, abs(value), *(float(np.max(np.abs(v), initial=0.0)) for v in fd.values()))
    worst = Outcome("ok")
    tw = tuple(wrt)
    ct = float(rng.choice([1.0, rng.uniform(-2.0, 2.0)]))
    tangents = tuple(
        rng.uniform(-1.0, 1.0, size=np.shape(args[i]))
        if isinstance(args[i], np.ndarray)
        # a float parameter's tangent is a float
        else float(rng.uniform(-1.0, 1.0))
        for i in wrt
    )
    jvp_want = sum(float(np.sum(fd[i] * t)) for i, t in zip(wrt, tangents))

    def run(api, a):
        # grad and value_and_grad are called twice: the second call takes the cheap
        # path (api.py: no binding, no private copies when the code is argument-pure)
        if api.startswith("grad["):
            k = int(api[5:-1])
            g = srcad.grad(f, wrt=k, mode=mode)
            return [(f"gradient of {k}{again}", g(*a), fd[k]) for again in ("", " (again)")]
        if api == "value_and_grad":
            vag = srcad.value_and_grad(f, wrt=tw, mode=mode)
            res = []
            for again in ("", " (again)"):
                v, gs = vag(*a)
                res += [(f"value{again}", v, value)]
                res += [(f"gradient of {k}{again}", g, fd[k]) for k, g in zip(wrt, _as_tuple(gs))]
            return res
        if api == "vjp":
            v, pullback = srcad.vjp(f, wrt=tw, mode=mode)(*a)
            gs = pullback(ct)
            res = [("value", v, value)]
            return res + [
                (f"vjp of {k} (cotangent {ct:.3g})", g, ct * fd[k])
                for k, g in zip(wrt, _as_tuple(gs))
            ]
        v, tout = srcad.jvp(f, wrt=tw, mode=mode)(*a, tangents)
        return [("value", v, value), ("jvp", tout, jvp_want)]

    apis = [f"grad[{k}]" for k in wrt] + ["value_and_grad", "vjp", "jvp"]
    if which == "rotate":  # value_and_grad, jvp, and one of the others in turn
        extra = apis[: len(wrt)] + ["vjp"]
        apis = ["value_and_grad", "jvp", extra[int(rng.integers(len(extra)))]]
    for api in apis:
        live = _copy(pristine)  # the arrays srcad gets, compared with pristine afterwards
        try:
            with (
                warnings.catch_warnings(),
                np.errstate(all="ignore"),
                _deadline(timeout),
            ):
                warnings.simplefilter("ignore")
                pairs = run(api, live)
            out = Outcome("ok", api)
            n_expected = 2 if api == "jvp" else (1 if api.startswith("grad") else len(wrt) + 1)
            if api.startswith("grad") or api == "value_and_grad":
                n_expected *= 2  # called twice (run)
            if len(pairs) != n_expected:
                out = Outcome("wrong", api, "number of results", str(n_expected), str(len(pairs)))
            for what, got, want in pairs:
                if not _close(got, want, scale):
                    out = Outcome("wrong", api, what, _fmt(want), _fmt(got))
                    break
        except Exception as exc:  # noqa: BLE001 - every exception is a finding
            out = _classify_exception(exc, mode)
            out.api = api
            if out.kind == "crash":
                out.trace = "".join(traceback.format_exception(exc)[-6:])
        if out.kind == "ok" and not _same_inputs(live, pristine):
            out = Outcome("crash", api, "srcad changed the caller's input arrays")
        if out.kind == "ok" and _shares_an_argument([got for _, got, _ in pairs], live):
            out = Outcome("crash", api, "a result shares memory with the caller's array")
        if ORDER[out.kind] > ORDER[worst.kind]:
            worst = out
    return worst


def check_program(prog, modes=("source", "tape"), timeout=20.0, which="full"):
    """Report on one Program: invalid, dropped, or an Outcome per mode."""
    try:
        f = load(prog.source, prog.name)
        args = make_args(prog)
        # a deadline: a reduced candidate may have lost the counter of its `while`
        # (an overflow anywhere in the program's own values makes it invalid: its value
        # can still be finite, tanh(inf) = 1, with an inf * 0 = nan in every gradient
        # while finite differences of the saturated value say 0)
        with np.errstate(all="ignore", over="raise"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with _deadline(min(timeout, 5.0)):
                plain_args = _copy(args)
                raw = f(*plain_args)
                value = _scalar(raw)
            if value is None:
                return Report("invalid", "not a finite scalar")
            if _low_precision(raw):  # (np.tanh of uint8 data is float16, say)
                return Report("dropped", "a float16 or float32 value", value)
            if not _same_inputs(plain_args, args):  # e.g. a reduction dropped a `.copy()`
                return Report("invalid", "the program changes its own arguments")
            with _deadline(timeout):
                fd = finite_differences(f, args, prog.wrt, value)
    except Exception as exc:  # noqa: BLE001 - the plain program fails: not a case
        return Report("invalid", f"{type(exc).__name__}: {_first_line(exc)}")
    if fd is None:
        return Report("dropped", "near a kink", value)
    rep = Report("checked", value=value)
    for mode in modes:
        rng = np.random.default_rng(prog.seed + 1)
        rep.modes[mode] = check_mode(f, args, prog.wrt, value, fd, mode, rng, timeout, which)
    return rep
