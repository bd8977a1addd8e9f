"""Random NumPy programs, drawn from hypothesis strategies.

Design note. A program is emitted directly as Python source text while it is
drawn: every choice is one ``draw`` from a small integer or ``sampled_from``
strategy, with the simplest option first, so that hypothesis' shrinker (which
moves each choice toward 0 and deletes runs of choices) turns a failing program
into a short one by itself. The generator keeps a typed environment of the names
it has bound (their static shape, whether they may be written in place, whether
they depend on a differentiated parameter), so every program it emits is valid
NumPy code; the checker still runs each one in plain Python first and throws
away the rare one that fails or returns a non-finite value.

Values stay tame: unary functions that could grow (exp, log, sqrt, division)
are only applied to bounded or positive arguments (``np.exp(np.tanh(e))``,
``np.log(e * e + 1.0)``), shapes are at most 5 per axis, loops are short.

Arrays are only written in place when the program made them (``np.zeros``,
``np.array``, ``.copy()``...) or through a view of such an array, never a
parameter, so any change of the caller's arrays is srcad's doing.  A write of a
whole vector is sometimes a NumPy output argument (``np.sin(e, out=z)``,
``np.tanh(e, z)``, ``np.multiply(e, 0.5, z)``) or ``np.copyto(z, e)`` (with
``where=`` too).

The "states" family (``Gen.st_state_loop``, also in about one general program in
twelve) keeps a loop's states in a dict (or a list) keyed by the loop index, as
min-char-rnn does: ``hs[t] = np.tanh(np.dot(hs[t - 1], W) + ...)``, reads of past
keys (``t - 1``, ``-1``, ``0``, ``t % 2``, ``'a'``), writes under a condition,
overwrites, a display with computed keys that may coincide (``{-1: a, t - 1: b}``
at ``t = 0``), now and then a value of another shape under ``'n'``, an alias of the
dict, ``hs.get(k, default)`` and ``k in hs``. The loop is planned before it is
emitted, and the keys that exist before each statement simulated for every value of
the index, so every read is of a key written by then.

``Program`` carries the source, the name of the function, the parameter list
(kind and shape) and the seed of the argument values; ``make_args`` builds the
arguments deterministically from it.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from hypothesis import strategies as st

FAMILIES = ("general", "loops", "locals", "states")
# locals: general, with helpers inside f; states: general, with loops that keep their
# states in a dict (or a list) keyed by the loop index (Gen.st_state_loop)


@dataclasses.dataclass
class Param:
    name: str
    kind: str  # "arr" / "float" (differentiated), "data" / "idata" / "cfloat" / "int"
    #            (inactive; "idata": an integer array, its dtype in ``value``)
    shape: tuple = ()
    value: object = None  # for "int" and "cfloat": the fixed value

    @property
    def diff(self):
        return self.kind in ("arr", "float")


@dataclasses.dataclass
class Program:
    source: str
    name: str
    params: list
    seed: int
    family: str

    @property
    def wrt(self):
        return [i for i, p in enumerate(self.params) if p.diff]


def make_args(prog):
    """The arguments of ``prog`` (fresh arrays each call), from its seed."""
    rng = np.random.default_rng(prog.seed)
    args = []
    for p in prog.params:
        if p.kind in ("arr", "data"):
            v = rng.uniform(-1.0, 1.0, size=p.shape)
            if p.name.startswith("Y"):
                v = np.where(rng.uniform(size=p.shape) < 0.5, -1.0, 1.0) * (0.5 + 0.5 * abs(v))
            args.append(v)
        elif p.kind == "idata":  # NumPy's integer arithmetic: wraps, NEP 50 promotion
            pool = _INT_DATA[p.value]
            args.append(np.array(rng.choice(pool, size=p.shape), dtype=p.value))
        elif p.kind == "float":
            args.append(float(rng.uniform(-1.0, 1.0)))
        else:
            args.append(p.value)
    return args


# integer data values: the dtype's limits (where negation and products wrap) beside
# small ones; int64 stays small so that float results stay finite
_INT_DATA = {
    "uint8": [0, 1, 2, 3, 128, 200, 255],
    "int8": [-128, -3, -1, 0, 1, 2, 127],
    "int64": [-3, -2, -1, 0, 1, 2, 3],
}


@dataclasses.dataclass
class Var:
    text: str  # how to read it: a name, or `L[1]`, `d["a"]`
    shape: tuple
    active: bool
    owned: bool = False  # may be written in place (made here, or a view of such)
    name: str | None = None  # the bound name when text is a plain name


@dataclasses.dataclass
class IntVar:
    text: str
    bound: int  # 0 <= value < bound


class Gen:
    """Draws one program; ``lines`` collects the source of the function being built."""

    def __init__(self, draw, family):
        self.draw = draw
        self.family = family
        self.counter = 0
        self.lines = []
        self.indent = 1
        self.env = []
        self.ints = []
        self.loop_names = []  # names of the for-range loops made so far
        self.helpers = []  # (name, param shapes, return shapes tuple, tuple_return)
        self.in_loop = 0
        self.allow_helpers = True
        self.state_outputs = []  # what the state loops left (read back after them)

    # ---- drawing helpers ------------------------------------------------------
    def pick(self, options):
        return self.draw(st.sampled_from(options))

    def n(self, lo, hi):
        return self.draw(st.integers(lo, hi))

    def chance(self, percent):
        return self.n(0, 99) < percent

    def rarely(self, percent):
        """About ``percent`` in 100, and no when shrunk (hypothesis' draws lean to 0, so
        ``chance(8)`` comes out nearer 25 in 100)."""
        return self.n(0, 99) >= 100 - percent

    def fresh(self, prefix="t"):
        self.counter += 1
        return f"{prefix}{self.counter}"

    def emit(self, line):
        self.lines.append("    " * self.indent + line)

    def const(self):
        return self.pick(["0.5", "1.5", "2.0", "-0.7", "0.3", "1.0", "3.0"])

    # ---- environment ------------------------------------------------------------
    def bind(self, name, shape, active, owned=False):
        self.env = [v for v in self.env if v.name != name]
        self.env.append(Var(name, shape, active, owned, name))

    def lookup(self, name):
        for v in self.env:
            if v.name == name:
                return v
        return None

    def candidates(self, shape):
        return [v for v in self.env if v.shape == shape]

    def any_var(self, active_only=False):
        pool = [v for v in self.env if v.active] if active_only else self.env
        pool = pool or self.env
        return pool[-1 - self.n(0, len(pool) - 1)]  # the most recent first

    def index(self, length):
        """An index expression valid for an axis of ``length``."""
        ints = [i for i in self.ints if i.bound <= length]
        k = self.n(0, 3 if ints else 1)
        if k == 0:
            return str(self.n(0, length - 1))
        if k == 1:
            return str(-self.n(1, length))
        iv = ints[-1 - self.n(0, len(ints) - 1)]
        if k == 2:
            return iv.text
        return f"{length - 1} - {iv.text}"

    # ---- expressions ----------------------------------------------------------
    def expr(self, shape, depth=2):
        """(text, active) of an expression with static ``shape``."""
        if depth <= 0:
            return self.leaf(shape)
        k = self.n(0, 12)
        if k <= 2:
            return self.leaf(shape)
        if k == 3:
            return self.binop(shape, depth)
        if k == 4:
            return self.unary(shape, depth)
        if k == 5:
            return self.reduction(shape, depth)
        if k == 6:
            return self.matmul(shape, depth)
        if k == 7:
            return self.subscript(shape, depth)
        if k == 8:
            return self.helper_call(shape, depth)
        if k == 9:
            c, ca = self.cond(depth - 1)
            a, aa = self.expr(shape, depth - 1)
            b, ba = self.expr(shape, depth - 1)
            return f"({a} if {c} else {b})", aa or ba or ca
        if k == 10 and len(shape) == 1 and shape[0] <= 4:
            if shape[0] >= 2 and self.chance(30):
                cut = self.n(1, shape[0] - 1)
                a, aa = self.expr((cut,), depth - 1)
                b, ba = self.expr((shape[0] - cut,), depth - 1)
                return f"np.concatenate([{a}, {b}])", aa or ba
            parts = [self.expr((), depth - 1) for _ in range(shape[0])]
            fn = self.pick(["np.array", "np.asarray"])
            text = ", ".join(p[0] for p in parts)
            return f"{fn}([{text}])", any(p[1] for p in parts)
        if k == 10 and shape == ():
            parts = [self.expr((), depth - 1) if self.chance(70) else (self.const(), False)]
            parts += [self.expr((), depth - 1) for _ in range(self.n(1, 2))]
            fn = self.pick(["np.sum", "sum", "np.mean"])
            text = ", ".join(p[0] for p in parts)
            return f"{fn}([{text}])", any(p[1] for p in parts)
        if k == 10:
            a, act = self.expr(shape, depth - 1)
            b, bct = self.expr(self.broadcast_partner(shape), depth - 1)
            return f"np.where({a} > 0.0, {a}, {b})", act or bct
        if k == 11:
            return self.binop(shape, depth)
        if len(shape) == 2 and self.chance(40):
            return self.softmax(shape, depth)
        return self.unary(shape, depth)

    def softmax(self, shape, depth):
        """A stable softmax, log-softmax or log-sum-exp along an axis, its max shifted
        out (compiler/invariance.py gives that max no adjoint), and one time in five a
        look-alike that does depend on the max (the sum along the other axis)."""
        a, act = self.expr(shape, depth - 1)
        ax = self.n(0, 1)
        bx = ax if self.chance(80) else 1 - ax
        m = f"np.max({a}, axis={ax}, keepdims=True)"
        s = f"(({a}) - {m})"
        lse = f"np.log(np.sum(np.exp({s}), axis={bx}, keepdims=True))"
        form = self.n(0, 2)
        if form == 0:
            return f"({s} - {lse})", act
        if form == 1:
            return f"(np.exp({s}) / np.sum(np.exp({s}), axis={bx}, keepdims=True))", act
        return f"(({m} + {lse}) * np.ones({shape}))", act

    def leaf(self, shape):
        cands = self.candidates(shape)
        k = self.n(0, 3)
        if shape == () and (k == 3 or not self.env):
            return self.const(), False
        if cands and k != 2:
            v = cands[-1 - self.n(0, len(cands) - 1)]
            return v.text, v.active
        return self.convert(self.any_var(), shape)

    def convert(self, v, shape):
        """An expression of ``shape`` made from the variable ``v``."""
        t = v.text
        src = v.shape
        if src == shape:
            return t, v.active
        if shape == ():
            if len(src) == 1:
                if self.chance(50):
                    return f"{t}[{self.index(src[0])}]", v.active
                return f"np.{self.pick(['sum', 'mean', 'max', 'min'])}({t})", v.active
            return f"{t}[{self.index(src[0])}, {self.index(src[1])}]", v.active
        if len(shape) == 1:
            (k,) = shape
            if len(src) == 1 and src[0] >= k:
                s = self.n(0, src[0] - k)
                return f"{t}[{s}:{s + k}]", v.active
            if len(src) == 1 and src[0] < k:
                fn = self.pick(["sum", "mean"])
                return f"(np.{fn}({t}) * np.ones({k}))", v.active
            if len(src) == 2 and src[1] == k:
                return f"{t}[{self.index(src[0])}]", v.active
            if len(src) == 2 and src[0] == k:
                return f"{t}[:, {self.index(src[1])}]", v.active
            if src == ():
                return f"({t} * np.ones({k}))", v.active
            return f"(np.sum({t}) * np.ones({k}))", v.active
        r, c = shape
        if src == (c, r):
            return self.pick([f"{t}.T", f"np.transpose({t})", f"{t}.reshape({r}, {c})"]), v.active
        if src == (c,):
            return self.pick([f"(np.ones(({r}, 1)) * {t})", f"np.outer(np.ones({r}), {t})"]), (
                v.active
            )
        if src == (r,):
            return f"({t}[:, None] * np.ones({c}))", v.active
        if src == ():
            return f"({t} * np.ones(({r}, {c})))", v.active
        return f"(np.sum({t}) * np.ones(({r}, {c})))", v.active

    def broadcast_partner(self, shape):
        """A shape that broadcasts against ``shape`` without changing it."""
        opts = [shape, ()]
        if len(shape) == 2:
            opts.append(shape[1:])
        return self.pick(opts)

    def binop(self, shape, depth):
        a, aa = self.expr(shape, depth - 1)
        bshape = self.broadcast_partner(shape)
        b, ba = self.expr(bshape, depth - 1)
        op = self.pick(["+", "*", "-", "/"])
        if op == "/":
            return f"({a} / ({b} * {b} + 1.0))", aa or ba
        if self.chance(50):
            a, b = b, a
        return f"({a} {op} {b})", aa or ba

    def unary(self, shape, depth):
        a, act = self.expr(shape, depth - 1)
        form = self.pick(
            [
                "np.sin({a})",
                "np.cos({a})",
                "np.tanh({a})",
                "np.exp(np.tanh({a}))",
                "np.log({a} * {a} + 1.0)",
                "np.sqrt({a} * {a} + 1.0)",
                "({a}) ** 2",
                "(-{a})",
                "np.log1p(np.exp(-np.tanh({a})))",
                "np.square({a})",
                "np.abs({a})",
                "np.maximum({a}, 0.1)",
                "np.maximum({a}, 0.0)",
                "np.arctan({a})",
                "(1.0 / (1.0 + {a} * {a}))",
                # a sigmoid written out, and the logs of a cross-entropy of it
                # (compiler/identities.py: p * exp(-z) is 1 - p)
                "(1.0 / (1.0 + np.exp(-np.tanh({a}))))",
                "np.log(1.0 / (1.0 + np.exp(-np.tanh({a}))))",
                "np.log(1.0 - 1.0 / (1.0 + np.exp(-np.tanh({a}))))",
            ]
        )
        if len(shape) == 1 and self.chance(5):
            # each element twice, then every other one: the vector again in NumPy's
            # meaning of the method (PyTorch's repeat tiles, which reorders it)
            form = "({a}).repeat(2)[::2]"
        if shape == () and self.chance(25):
            # the math module on numbers (its derivatives may use math's twins)
            form = self.pick(
                [
                    "math.sin({a})",
                    "math.cos({a})",
                    "math.tanh({a})",
                    "math.exp(math.tanh({a}))",
                    "math.sqrt({a} * {a} + 1.0)",
                    "math.sinh(math.tanh({a}))",
                    "math.cosh(math.tanh({a}))",
                ]
            )
        return form.format(a=a), act

    def reduction(self, shape, depth):
        # (var: its method spelling means n - 1 to PyTorch, and the tape once took that
        # meaning inside NumPy programs; not std, whose derivative is singular where the
        # values are all equal, as x0 * np.ones(3) makes them)
        fn = self.pick(["sum", "mean", "max", "prod", "min", "var"])
        method = self.chance(30)
        if shape == ():
            src = self.pick([(3,), (2, 3), (4,), (3, 2)])
            a, act = self.expr(src, depth - 1)
            if self.chance(6):  # (x.nonzero() is a tuple of index arrays to NumPy, an
                # (n, ndim) tensor to PyTorch: the tape once took PyTorch's inside programs)
                return f"np.sum(({a})[(({a}) > 0.1).nonzero()])", act
            if fn == "prod":
                a = f"np.tanh({a})"
            return (f"({a}).{fn}()" if method else f"np.{fn}({a})"), act
        if len(shape) == 1:
            (k,) = shape
            other = self.n(2, 3)
            axis = self.n(0, 1)
            src = (other, k) if axis == 0 else (k, other)
            a, act = self.expr(src, depth - 1)
            if fn == "prod":
                a = f"np.tanh({a})"
            if method:  # the axis as a keyword or by position (x.max(0): PyTorch's (values,
                # indices), NumPy's values)
                return (
                    f"({a}).{fn}({axis})" if self.chance(50) else f"({a}).{fn}(axis={axis})"
                ), act
            return f"np.{fn}({a}, axis={axis})", act
        r, c = shape
        a, act = self.expr((r, c), depth - 1)
        return f"np.{fn}({a}, axis=1, keepdims=True) * np.ones({c})", act

    def matmul(self, shape, depth):
        k = self.n(2, 4)
        if shape == ():
            a, aa = self.expr((k,), depth - 1)
            b, ba = self.expr((k,), depth - 1)
            form = self.pick(
                ["({a} @ {b})", "np.dot({a}, {b})", "np.sum({a} * {b})", "({a}).dot({b})"]
            )
            return form.format(a=a, b=b), aa or ba
        if len(shape) == 1:
            a, aa = self.expr(shape + (k,), depth - 1)
            b, ba = self.expr((k,), depth - 1)
            if self.chance(50):
                return f"({a} @ {b})", aa or ba
            a, aa = self.expr((k,) + shape, depth - 1)
            return self.pick([f"({b} @ {a})", f"np.dot({b}, {a})"]), aa or ba
        r, c = shape
        a, aa = self.expr((r, k), depth - 1)
        b, ba = self.expr((k, c), depth - 1)
        return self.pick([f"({a} @ {b})", f"np.dot({a}, {b})", f"({a}).dot({b})"]), aa or ba

    def subscript(self, shape, depth):
        """A slice, a fancy index or a view of a bigger expression."""
        v = self.any_var()
        src = v.shape
        if len(shape) == 1 and len(src) == 1 and src[0] >= shape[0]:
            (k,) = shape
            form = self.n(0, 3)
            if form == 0 and k == src[0]:
                return f"{v.text}[::-1]", v.active
            if form == 1:
                idx = [self.n(0, src[0] - 1) for _ in range(k)]
                return f"{v.text}[{idx}]", v.active
            if form == 2 and src[0] >= 2 * k - 1:
                return f"{v.text}[::2][:{k}]", v.active
            s = self.n(0, src[0] - k)
            return f"{v.text}[{s}:{s + k}]", v.active
        if len(shape) == 2 and len(src) == 2 and src[1] == shape[1] and src[0] >= shape[0]:
            idx = [self.n(0, src[0] - 1) for _ in range(shape[0])]
            return f"{v.text}[{idx}]", v.active
        if shape == () and len(src) == 2:
            return f"{v.text}[{self.index(src[0])}][{self.index(src[1])}]", v.active
        return self.convert(v, shape)

    def helper_call(self, shape, depth):
        fits = [h for h in self.helpers if not h[3] and h[2][0] == shape]
        if not fits or not self.allow_helpers:
            return self.binop(shape, depth)
        name, pshapes, _, _ = fits[self.n(0, len(fits) - 1)]
        args = [self.expr(s, depth - 1) for s in pshapes]
        return f"{name}({', '.join(a for a, _ in args)})", any(a for _, a in args)

    def cond(self, depth=1):
        k = self.n(0, 4)
        if k == 0 or not self.env:
            return self.pick(["True", "False", "1 > 2"]), False
        if k == 1 and self.ints:
            iv = self.ints[-1]
            return f"{iv.text} {self.pick(['>', '==', '<'])} {self.n(0, iv.bound - 1)}", False
        if k == 4 and self.chance(20):
            # a type test NumPy answers True (a reduction's result is a NumPy scalar, a
            # float; an array is an ndarray): the tape once answered False, ran the
            # other branch, and gave its gradient
            if self.chance(50):
                e, _ = self.expr((3,), 0)
                return self.pick(
                    [f"isinstance({e}, np.ndarray)", f"type({e}) is np.ndarray"]
                ), False
            e, _ = self.expr((), 0)
            tests = [f"isinstance({e}, float)", f"np.isscalar({e})", f"type({e}) is float"]
            tests += [f"type({e}) is np.float64", f"hasattr({e}, 'shape')"]
            return self.pick(tests), False
        e, act = self.expr((), max(depth, 0))
        return f"{e} {self.pick(['>', '<', '>='])} {self.pick(['0.0', '0.3', '-0.2'])}", act

    # ---- statements -------------------------------------------------------------
    SHAPES = None

    def shape(self):
        return self.pick(self.SHAPES)

    def block(self, count, depth):
        for _ in range(count):
            self.statement(depth)

    def statement(self, depth):
        k = self.n(0, 18 if depth > 0 else 9)
        [
            self.st_assign,
            self.st_overwrite,
            self.st_create,
            self.st_write,
            self.st_augassign,
            self.st_copy,
            self.st_view,
            self.st_container,
            self.st_unpack,
            self.st_walrus,
            self.st_if,
            self.st_for_range,
            self.st_for_rows,
            self.st_while,
            self.st_if,
            self.st_for_range,
            self.st_break,
            self.st_helper_tuple,
            self.st_assign,
        ][k](depth)

    def st_assign(self, depth):
        shape = self.shape()
        e, act = self.expr(shape, 2)
        name = self.fresh()
        self.emit(f"{name} = {e}")
        self.bind(name, shape, act)

    def st_overwrite(self, depth):
        pool = [v for v in self.env if v.name]
        if not pool:
            return self.st_assign(depth)
        v = pool[-1 - self.n(0, len(pool) - 1)]
        e, act = self.expr(v.shape, 2)
        self.emit(f"{v.name} = {e}")
        self.bind(v.name, v.shape, act or (v.active and v.name in e))

    def st_create(self, depth):
        shape = self.pick([s for s in self.SHAPES if s != ()])
        name = self.fresh("z")
        fn = self.pick(["zeros", "ones", "empty"])
        dims = shape[0] if len(shape) == 1 else shape
        self.emit(f"{name} = np.{fn}({dims})")
        if fn == "empty":
            if self.chance(50) or len(shape) == 2:
                e, act = self.expr(shape, 1)
                self.emit(f"{name}[{':' if len(shape) == 1 else ':, :'}] = {e}")
            else:
                i = self.fresh("i")
                self.emit(f"for {i} in range({shape[0]}):")
                self.ints.append(IntVar(i, shape[0]))
                self.indent += 1
                e, act = self.expr((), 1)
                self.emit(f"{name}[{i}] = {e}")
                self.indent -= 1
                self.ints.pop()
            self.bind(name, shape, act, owned=True)
        else:
            self.bind(name, shape, False, owned=True)
        for _ in range(self.n(1, 2)):
            self.write_into(self.lookup(name))

    def write_into(self, v):
        shape = v.shape
        aug = self.pick(["=", "+=", "-=", "*="])
        if len(shape) == 1:
            k = self.n(0, 2)
            if k == 0:
                target, tshape = f"{v.text}[{self.index(shape[0])}]", ()
            elif k == 1 and shape[0] >= 2:
                s = self.n(0, shape[0] - 2)
                e = self.n(s + 1, shape[0])
                target, tshape = f"{v.text}[{s}:{e}]", (e - s,)
            else:
                target, tshape = f"{v.text}[:]", shape
        else:
            k = self.n(0, 3)
            if k == 0:
                target, tshape = f"{v.text}[{self.index(shape[0])}, {self.index(shape[1])}]", ()
            elif k == 1:
                target, tshape = f"{v.text}[{self.index(shape[0])}]", shape[1:]
            elif k == 2:
                target, tshape = f"{v.text}[:, {self.index(shape[1])}]", shape[:1]
            else:
                s = self.n(0, shape[0] - 1)
                target, tshape = f"{v.text}[{s}:]", (shape[0] - s, shape[1])
        e, act = self.expr(tshape, 1)
        if aug == "*=":
            e = f"np.tanh({e})"
        if aug == "=" and target == f"{v.text}[:]" and v.name == v.text and self.chance(40):
            # NumPy's output argument, by keyword or by position: a write into v
            self.emit(
                self.pick(
                    [
                        f"np.sin({e}, out={v.name})",
                        f"np.tanh({e}, {v.name})",
                        f"np.multiply({e}, 0.5, {v.name})",
                        f"np.add({e}, 1.0, out={v.name})",
                        # NumPy's writing function copyto, plain and with where=
                        f"np.copyto({v.name}, {e})",
                        f"np.copyto({v.name}, {e}, where={v.name} > 0.0)",
                    ]
                )
            )
        else:
            self.emit(f"{target} {aug} {e}")
        if len(shape) == 1 and v.name == v.text and not (act or v.active) and self.chance(1):
            # NumPy's in-place sort (PyTorch's method of that name returns a copy); of an
            # inactive array (source mode refuses sorting an active one, and one whose old
            # value the gradient reads: rare, as each refusal is a program less checked)
            self.emit(f"{v.name}.sort()")
        if act and v.name:
            self.bind(v.name, v.shape, True, owned=v.owned)
            # a view of this array or this array behind a view: both now active
            for w in self.env:
                if w.owned:
                    w.active = True

    def st_write(self, depth):
        pool = [v for v in self.env if v.owned and v.shape != ()]
        if not pool:
            return self.st_create(depth)
        self.write_into(pool[-1 - self.n(0, len(pool) - 1)])

    def st_augassign(self, depth):
        pool = [v for v in self.env if v.name and (v.owned or v.shape == ())]
        if not pool:
            return self.st_assign(depth)
        v = pool[-1 - self.n(0, len(pool) - 1)]
        op = self.pick(["+=", "-=", "*="])
        e, act = self.expr(self.broadcast_partner(v.shape), 1)
        if op == "*=":
            e = f"np.tanh({e})"
        self.emit(f"{v.name} {op} {e}")
        if act:
            v.active = True
            if v.owned:
                for w in self.env:
                    if w.owned:
                        w.active = True

    def st_copy(self, depth):
        pool = [v for v in self.env if v.shape != () and v.name]
        if not pool:
            return self.st_create(depth)
        v = pool[-1 - self.n(0, len(pool) - 1)]
        form = self.pick(["{a}.copy()", "np.array({a})", "np.copy({a})", "np.asarray({a} * 1.0)"])
        name = v.name if (self.chance(40) and not v.owned) else self.fresh("c")
        self.emit(f"{name} = {form.format(a=v.text)}")
        self.bind(name, v.shape, v.active, owned=True)
        if self.chance(70):
            self.write_into(self.lookup(name))

    def st_view(self, depth):
        pool = [v for v in self.env if v.shape != () and v.name]
        if not pool:
            return self.st_assign(depth)
        v = pool[-1 - self.n(0, len(pool) - 1)]
        s = v.shape
        name = self.fresh("v")
        if len(s) == 1:
            if s[0] < 2:
                return self.st_assign(depth)
            a = self.n(0, s[0] - 2)
            b = self.n(a + 1, s[0])
            self.emit(f"{name} = {v.text}[{a}:{b}]")
            shape = (b - a,)
        else:
            k = self.n(0, 3)
            if k == 0:
                self.emit(f"{name} = {v.text}.T")
                shape = (s[1], s[0])
            elif k == 1:
                self.emit(f"{name} = {v.text}.reshape({s[1]}, {s[0]})")
                shape = (s[1], s[0])
            elif k == 2:
                self.emit(f"{name} = {v.text}[1:]")
                shape = (s[0] - 1, s[1])
            else:
                self.emit(f"{name} = {v.text}.reshape(-1)[:{s[1]}]")
                shape = (s[1],)
        self.bind(name, shape, v.active, owned=v.owned)
        if v.owned and self.chance(40):
            self.write_into(self.lookup(name))

    def st_container(self, depth):
        k = self.n(0, 2)
        shapes = [self.shape() for _ in range(self.n(2, 3))]
        parts = [self.expr(s, 1) for s in shapes]
        name = self.fresh(["L", "T", "d"][k])
        if k == 0:
            self.emit(f"{name} = [{', '.join(p for p, _ in parts)}]")
        elif k == 1:
            self.emit(f"{name} = ({', '.join(p for p, _ in parts)},)")
        else:
            items = ", ".join(f'"k{i}": {p}' for i, (p, _) in enumerate(parts))
            self.emit(f"{name} = {{{items}}}")
        for i, (s, (_, act)) in enumerate(zip(shapes, parts)):
            text = f'{name}["k{i}"]' if k == 2 else f"{name}[{i}]"
            self.env.append(Var(text, s, act))
        if k == 0 and self.chance(40):
            s = self.shape()
            e, act = self.expr(s, 1)
            self.emit(f"{name}.append({e})")
            self.env.append(Var(f"{name}[-1]", s, act))
        if k != 1 and self.chance(30):
            idx = f'"k{0}"' if k == 2 else "0"
            e, act = self.expr(shapes[0], 1)
            self.emit(f"{name}[{idx}] = {e}")
            self.env.append(Var(f"{name}[{idx}]", shapes[0], act))

    def st_unpack(self, depth):
        shapes = [self.shape(), self.shape()]
        parts = [self.expr(s, 1) for s in shapes]
        a, b = self.fresh("u"), self.fresh("u")
        if self.chance(50):
            self.emit(f"{a}, {b} = {parts[0][0]}, {parts[1][0]}")
        else:
            t = self.fresh("T")
            self.emit(f"{t} = ({parts[0][0]}, {parts[1][0]})")
            self.emit(f"{a}, {b} = {t}")
        self.bind(a, shapes[0], parts[0][1])
        self.bind(b, shapes[1], parts[1][1])

    def st_walrus(self, depth):
        name = self.fresh("w")
        e, act = self.expr((), 1)
        if self.chance(50):
            other = self.fresh()
            self.emit(f"{other} = ({name} := {e}) * 0.5 + {name}")
            self.bind(name, (), act)
            self.bind(other, (), act)
            return
        self.emit(f"if ({name} := {e}) > {self.pick(['0.0', '0.3'])}:")
        self.bind(name, (), act)
        self.sub_block(depth)

    def sub_block(self, depth, count=None):
        """An indented block; names it binds for the first time stay inside it."""
        saved = [dataclasses.replace(v) for v in self.env]
        self.indent += 1
        start = len(self.lines)
        self.block(count if count is not None else self.n(1, 2), depth - 1)
        if len(self.lines) == start:
            self.emit("pass")
        self.indent -= 1
        names = {v.text: v for v in self.env}
        merged = []
        for v in saved:
            now = names.get(v.text)
            if now is not None:
                v.active = v.active or now.active
                v.owned = v.owned and now.owned
            merged.append(v)
        self.env = merged

    def st_if(self, depth):
        c, _ = self.cond(1)
        self.emit(f"if {c}:")
        self.sub_block(depth)
        for _ in range(self.n(0, 1)):
            c, _ = self.cond(1)
            self.emit(f"elif {c}:")
            self.sub_block(depth)
        if self.chance(60):
            self.emit("else:")
            self.sub_block(depth)

    def loop_body(self, depth):
        self.in_loop += 1
        self.sub_block(depth, self.n(1, 3))
        self.in_loop -= 1

    def st_for_range(self, depth):
        # a name of a loop already closed is sometimes used again, and a loop
        # sometimes runs zero times (its name is then unbound after it)
        done = [n for n in self.loop_names if all(iv.text != n for iv in self.ints)]
        i = done[-1] if done and self.chance(25) else self.fresh("i")
        self.loop_names.append(i)
        bound = self.n(2, 3)
        ranges = [f"range({bound})", f"range(1, {bound})", f"range({bound}, {bound})"]
        self.emit(f"for {i} in {self.pick(ranges)}:")
        self.ints.append(IntVar(i, bound))
        self.accumulate_then(depth)
        self.ints.pop()

    def accumulate_then(self, depth):
        """A loop body that usually carries a value across iterations."""
        scal = [v for v in self.env if v.name and v.shape == ()]
        if scal and self.chance(70):
            v = scal[-1 - self.n(0, len(scal) - 1)]
            self.indent += 1
            e, act = self.expr((), 2)
            self.emit(
                self.pick([f"{v.name} = {v.name} + {e}", f"{v.name} += {e}"])
                if self.chance(70)
                else f"{v.name} = np.tanh({v.name}) * {e}"
            )
            v.active = v.active or act
            self.indent -= 1
        self.loop_body(depth)

    def st_for_rows(self, depth):
        pool = [v for v in self.env if len(v.shape) >= 1]
        if not pool:
            return self.st_for_range(depth)
        v = pool[-1 - self.n(0, len(pool) - 1)]
        row = self.fresh("r")
        rshape = v.shape[1:]
        k = self.n(0, 2)
        saved_ints = list(self.ints)
        if k == 0:
            self.emit(f"for {row} in {v.text}:")
        elif k == 1:
            i = self.fresh("i")
            self.emit(f"for {i}, {row} in enumerate({v.text}):")
            self.ints.append(IntVar(i, v.shape[0]))
        else:
            others = [w for w in self.env if len(w.shape) >= 1 and w.shape[0] == v.shape[0]]
            w = others[-1 - self.n(0, len(others) - 1)]
            other = self.fresh("r")
            self.emit(f"for {row}, {other} in zip({v.text}, {w.text}):")
            self.env.append(Var(other, w.shape[1:], w.active, False, other))
        self.env.append(Var(row, rshape, v.active, False, row))
        self.accumulate_then(depth)
        self.ints = saved_ints

    def st_while(self, depth):
        i = self.fresh("n")
        bound = self.n(2, 3)
        self.emit(f"{i} = 0")
        self.emit(f"while {i} < {bound}:")
        self.indent += 1
        self.emit(f"{i} += 1")
        self.indent -= 1
        self.ints.append(IntVar(f"({i} - 1)", bound))
        self.accumulate_then(depth)
        self.ints.pop()

    def st_break(self, depth):
        if not self.in_loop:
            return self.st_assign(depth)
        c, _ = self.cond(1)
        self.emit(f"if {c}:")
        self.indent += 1
        self.emit(self.pick(["break", "continue"]))
        self.indent -= 1

    def st_helper_tuple(self, depth):
        fits = [h for h in self.helpers if h[3]]
        if not fits or not self.allow_helpers:
            return self.st_unpack(depth)
        name, pshapes, rshapes, _ = fits[self.n(0, len(fits) - 1)]
        args = [self.expr(s, 1) for s in pshapes]
        act = any(a for _, a in args)
        outs = [self.fresh("h") for _ in rshapes]
        self.emit(f"{', '.join(outs)} = {name}({', '.join(a for a, _ in args)})")
        for o, s in zip(outs, rshapes):
            self.bind(o, s, act)

    # ---- state loops (the "states" family) ---------------------------------------------
    # min-char-rnn's loop: states in a dict (or a list) keyed by the loop index, read
    # back at past keys.  The loop is planned first (which keys each statement writes,
    # under which condition), its key sets simulated for every value of the index, and
    # only then emitted, with reads of the keys that exist there at every iteration.
    STATE_WRITE_KEYS = ["{t}", "{t} + 1", "{t} - 1", "-1", "0", "{t} % 2", "'a'", "{t}"]
    STATE_READ_KEYS = ["{t} - 1", "-1", "{t}", "0", "{t} + 1", "{t} % 2", "'a'", "{t} - 2"]
    STATE_CONDS = ["{t} % 2 == 1", "{t} > 0", "{t} == 0", "{t} < {last}", "{t} % 2 == 0"]
    LIST_KEYS = ["{t}", "-1", "{t} - 1", "0", "{t} + 1", "-2"]

    def st_state_loop(self, depth=1):
        is_list = not self.chance(80)  # (not chance(20): draws lean to 0)
        shape = self.pick([s for s in self.SHAPES if s != ()] + [()])
        oshape = () if shape != () else self.SHAPES[1]  # another shape, under 'n'
        hs, t, acc = self.fresh("hs"), self.fresh("t"), self.fresh("acc")
        count = self.n(2, 4)
        start = 1 if self.rarely(15) else 0
        last = count - 1
        st = dict(
            hs=hs,
            t=t,
            shape=shape,
            oshape=oshape,
            is_list=is_list,
            count=count,
            start=start,
            last=last,
            active=False,
            alias=None,
            W=None,
        )
        w = self.lookup("W")
        if shape and w is not None and w.shape == (shape[-1], shape[-1]):
            st["W"] = "W"
        # ---- the plan
        ops = []
        if is_list:
            ops.append(dict(kind="append"))
        elif self.chance(85):
            ops.append(dict(kind="write", key="{t}", cond=None, other=None))
        else:
            ops.append(
                dict(kind="write", key=self.pick(self.STATE_WRITE_KEYS), cond=None, other=None)
            )
        alias_before = planned_alias = False
        for _ in range(self.n(0, 3)):
            k = self.n(0, 10)
            k = 7 if k == 10 else k  # (a display in the loop: twice as likely)
            if is_list and k in (6, 7):
                k = 0
            if k == 8 and (planned_alias or alias_before):
                k = 0
            if k in (0, 1, 5, 9):
                key = "{t} + 1" if k == 9 else self.pick(self.STATE_WRITE_KEYS)
                cond = None
                if k in (1, 9):
                    cond = ("static", self.pick(self.STATE_CONDS))
                elif k == 5:
                    cond = ("dyn",)
                other = None
                if cond and self.chance(30):
                    other = self.pick(self.STATE_WRITE_KEYS)
                ops.append(dict(kind="write", key=key, cond=cond, other=other))
            elif k == 2:
                ops.append(
                    dict(
                        kind="aug",
                        key=self.pick(["{t}", "-1", "{t} - 1", "0", "'a'"]),
                        cond=None,
                        other=None,
                    )
                )
            elif k == 3:
                ops.append(dict(kind="acc"))
            elif k == 4:
                ops.append(dict(kind="stmt"))
            elif k == 6:
                ops.append(dict(kind="write", key="'n'", cond=None, other=None))
            elif k == 7:
                # computed keys, which may coincide ({-1: a, t - 1: b} at t = 0)
                keys = [self.pick(["-1", "{t}", "0"])]
                keys += [
                    self.pick(["{t} - 1", "{t}", "-1", "{t} + 1", "0", "{t} % 2", "'a'"])
                    for _ in range(self.n(1, 2))
                ]
                ops.append(dict(kind="display", keys=keys))
            else:
                if any(o["kind"] == "display" for o in ops) or self.chance(50):
                    ops.append(dict(kind="alias"))
                    planned_alias = True
                else:
                    alias_before = True
        if not any(o["kind"] == "acc" for o in ops) and self.chance(80):
            ops.append(dict(kind="acc"))
        if alias_before and any(o["kind"] == "display" for o in ops):
            alias_before = False
        # ---- before the loop
        init, act = self.expr(shape, 1)
        st["active"] = act
        if is_list:
            parts = [init] + [self.expr(shape, 1)[0] for _ in range(self.n(0, 1))]
            state = len(parts)
            self.emit(f"{hs} = [{', '.join(parts)}]")
        else:
            keys = ["-1"] if self.chance(85) else ["0"]
            extra = self.n(0, 4)
            if extra == 1:
                keys.append("0")
            elif extra == 2:
                keys.append("'a'")
            elif extra == 3:
                keys.append("'n'")
            values = [init] + [self.expr(oshape if k == "'n'" else shape, 1)[0] for k in keys[1:]]
            form = self.n(0, 2)  # min-char-rnn's `hs = {}; hs[-1] = x` first
            if form != 1:
                self.emit(f"{hs} = {{}}" if form == 0 else f"{hs} = dict()")
                for k, v in zip(keys, values):
                    self.emit(f"{hs}[{k}] = {v}")
            else:
                items = ", ".join(f"{k}: {v}" for k, v in zip(keys, values))
                self.emit(f"{hs} = {{{items}}}")
            state = frozenset(self._key(k, 0, st) for k in keys)
        if alias_before:
            st["alias"] = self.fresh("same")
            self.emit(f"{st['alias']} = {hs}")
        self.emit(f"{acc} = 0.0")
        before, end = self._simulate(ops, state, st)
        # ---- the loop
        rng = f"range({count})" if start == 0 else f"range(1, {count})"
        self.emit(f"for {t} in {rng}:")
        self.indent += 1
        saved_env = [dataclasses.replace(v) for v in self.env]
        saved_in_loop, self.in_loop = self.in_loop, 0  # (no break: keys must stay known)
        self.ints.append(IntVar(t, count))
        base = list(self.env)
        for i, op in enumerate(ops):
            reads = self._state_reads(before[i], st)
            self.env = base + [Var(text, s, st["active"]) for text, s in reads]
            self._state_op(op, reads, before[i], st, acc)
            base = [v for v in self.env if v.text not in {text for text, _ in reads}]
        self.ints.pop()
        self.in_loop = saved_in_loop
        self.indent -= 1
        names = {v.text: v for v in self.env}
        for v in saved_env:  # names first bound in the loop stay inside it
            now = names.get(v.text)
            if now is not None:
                v.active = v.active or now.active
        self.env = saved_env
        # ---- after the loop: the states read back
        self.bind(acc, (), st["active"])
        self.state_outputs.append(self.lookup(acc))
        # (none at times, where acc carries the states out: srcad steps a dict's adjoint
        # inline only where the dict is not read after its loop)
        has_acc = any(o["kind"] == "acc" for o in ops)
        for _ in range(self.n(0 if has_acc else 1, 2)):
            self._state_read_back(end, st)
        if not is_list and self.rarely(8):
            # every value (the keys of the loop `for k in hs` are refused: an index
            # computed from an active value, so that spelling is rarer)
            k, v = self.fresh("k"), self.fresh("v")
            form = self.n(0, 4)
            if form <= 2:
                self.emit(f"for {v} in {hs}.values():")
            elif form == 3:
                self.emit(f"for {k}, {v} in {hs}.items():")
            else:
                self.emit(f"for {k} in {hs}:")
                v = f"{hs}[{k}]"
            self.emit(f"    {acc} = {acc} + 0.1 * np.sum({v})")

    def _key(self, text, t, st):
        return eval(text.format(t=t, last=st["last"]))  # noqa: S307 - our own key texts

    def _runs(self, op, t, st):
        """True / False: the op's guarded write runs at ``t``; None: it depends on data."""
        cond = op.get("cond")
        if cond is None:
            return True
        if cond[0] == "dyn":
            return None
        return bool(self._key(cond[1], t, st))

    def _simulate(self, ops, state, st):
        """The keys (a dict) or the length (a list) before each op at each ``t``, and at
        the end of the loop."""
        before = [{} for _ in ops]
        for t in range(st["start"], st["count"]):
            for i, op in enumerate(ops):
                before[i][t] = state
                if st["is_list"]:
                    state += op["kind"] == "append"
                elif op["kind"] == "display":
                    state = frozenset(self._key(k, t, st) for k in op["keys"])
                elif op["kind"] in ("write", "aug"):
                    yes = state | {self._key(op["key"], t, st)}
                    no = state | {self._key(op["other"], t, st)} if op["other"] else state
                    runs = self._runs(op, t, st)
                    state = yes if runs else no if runs is False else yes & no
        return before, state

    def _valid(self, state, key, st):
        if st["is_list"]:
            return isinstance(key, int) and -state <= key < state
        return key in state

    def _valid_keys(self, states, keys, st):
        return [
            k
            for k in keys
            if all(self._valid(s, self._key(k, t, st), st) for t, s in states.items())
        ]

    def _state_reads(self, states, st):
        """(text, shape) of the reads valid at a point of the loop, the likeliest first."""
        keys = self.LIST_KEYS if st["is_list"] else self.STATE_READ_KEYS + ["'n'"]
        out = []
        for k in self._valid_keys(states, keys, st):
            text = k.format(t=st["t"])
            s = st["oshape"] if k == "'n'" else st["shape"]
            out.append((f"{st['hs']}[{text}]", s))
            if st["alias"]:
                out.append((f"{st['alias']}[{text}]", s))
        return out

    def _main_read(self, reads, st):
        """A read of the state's own shape: a valid key, or a ``get`` with a default."""
        main = [r for r, s in reads if s == st["shape"]]
        if main and not (not st["is_list"] and self.rarely(10)):
            return main[self.n(0, len(main) - 1)]
        key = self.pick(["{t} - 1", "-1", "{t}", "0"]).format(t=st["t"])
        default, _ = self.expr(st["shape"], 0)
        if self.chance(50):
            return f"{st['hs']}.get({key}, {default})"
        return f"({st['hs']}[{key}] if {key} in {st['hs']} else {default})"

    def _state_value(self, shape, reads, st):
        """A new state: mostly a bounded function of a past one."""
        e, act = self.expr(shape, self.n(1, 2))
        if shape != st["shape"]:
            own = [r for r, s in reads if s == shape]
            if own and self.chance(50):
                e = f"np.tanh({own[0]} + {e})"
            st["active"] = st["active"] or act
            return e
        r = self._main_read(reads, st)
        k = self.n(0, 6)
        if k == 0:
            if shape == ():
                w, _ = self.expr((), 1)
                v = f"np.tanh({r} * {w} + {e})"
            else:
                w = st["W"] or self.expr((shape[-1], shape[-1]), 1)[0]
                v = f"np.tanh(np.dot({r}, {w}) + {e})"
        elif k == 1:
            v = f"np.tanh({e} + {self.pick(['0.5', '-0.7', '1.5'])} * {r})"
        elif k == 2:
            v = f"{r} * {self.pick(['0.5', '-0.7', '0.3'])} + np.tanh({e})"
        elif k == 3:
            v = f"np.sin({r}) * np.tanh({e})"
        elif k == 4:
            v = f"0.5 * ({r} + {self._main_read(reads, st)})"
        elif k == 5:
            s, sact = self.expr((), 1)
            v = f"{r} * np.tanh({s})"
            act = act or sact
        else:
            v = e
        st["active"] = st["active"] or act
        return v

    def _state_op(self, op, reads, states, st, acc):
        hs = st["hs"]
        kind = op["kind"]
        target = hs
        if st["alias"] and self.chance(40):
            target = st["alias"]
        if kind == "alias":
            st["alias"] = st["alias"] or self.fresh("same")
            self.emit(f"{st['alias']} = {hs}")
        elif kind == "append":
            self.emit(f"{target}.append({self._state_value(st['shape'], reads, st)})")
        elif kind == "acc":
            main = [r for r, s in reads if s == st["shape"]]
            k = self.n(0, 3)
            if k == 0 or len(main) < 1:
                a = self._main_read(reads, st)
                b = self._main_read(reads, st)
                self.emit(f"{acc} = {acc} + np.sum({a} * {b})")
            elif k == 1:
                self.emit(f"{acc} += {self.convert_scalar(Var(main[-1], st['shape'], True))}")
            elif k == 2:
                e, act = self.expr((), 2)
                self.emit(f"{acc} = {acc} + {e}")
                st["active"] = st["active"] or act
            else:
                other = [r for r, s in reads if s != st["shape"]]
                r = other[0] if other else main[0]
                self.emit(f"{acc} = {acc} + np.sum({r})")
        elif kind == "stmt":
            self.statement(1)
        elif kind == "display":
            items = []
            for k in op["keys"]:
                text = k.format(t=st["t"])
                items.append(f"{text}: {self._state_value(st['shape'], reads, st)}")
            self.emit(f"{hs} = {{{', '.join(items)}}}")
        else:  # write / aug
            key = op["key"]
            if st["is_list"]:
                valid = self._valid_keys(states, self.LIST_KEYS, st)
                key = valid[self.n(0, len(valid) - 1)]
            shape = st["oshape"] if key == "'n'" else st["shape"]
            text = key.format(t=st["t"])
            if kind == "aug" and self._valid_keys(states, [key], st):
                cur = f"{target}[{text}]"
                e, act = self.expr(self.broadcast_partner(shape), 1)
                st["active"] = st["active"] or act
                if shape == () and self.chance(40):
                    self.emit(f"{target}[{text}] {self.pick(['+=', '-='])} {e}")
                else:
                    form = self.pick(
                        ["{c} * np.tanh({e})", "np.tanh({c} + {e})", "{c} - 0.5 * {e}"]
                    )
                    self.emit(f"{target}[{text}] = {form.format(c=cur, e=e)}")
                return
            cond = op.get("cond")
            if cond is not None:
                if cond[0] == "static":
                    c = cond[1].format(t=st["t"], last=st["last"])
                else:
                    r = self._main_read(reads, st)
                    c = f"np.sum({r}) > {self.pick(['0.0', '0.3', '-0.2'])}"
                self.emit(f"if {c}:")
                self.indent += 1
            self.emit(f"{target}[{text}] = {self._state_value(shape, reads, st)}")
            if cond is not None:
                self.indent -= 1
                if op["other"]:
                    otext = op["other"]
                    if st["is_list"]:
                        otext = valid[self.n(0, len(valid) - 1)]
                    oshape = st["oshape"] if otext == "'n'" else st["shape"]
                    self.emit("else:")
                    self.indent += 1
                    value = self._state_value(oshape, reads, st)
                    self.emit(f"{target}[{otext.format(t=st['t'])}] = {value}")
                    self.indent -= 1

    def _state_read_back(self, end, st):
        """Bind a state the loop left as a variable of the program."""
        hs = st["hs"]
        if st["is_list"]:
            keys = [-1, 0, end - 1, -end]
        else:
            keys = sorted(end, key=repr)
        key = keys[self.n(0, len(keys) - 1)]
        text = repr(key)
        if key == st["last"] and self.chance(40):
            text = st["t"]
        shape = st["oshape"] if key == "n" else st["shape"]
        read = f"{hs}[{text}]"
        if not st["is_list"] and self.rarely(10):
            default, _ = self.expr(st["shape"], 0)
            read, shape = f"{hs}.get({st['count'] + 3}, {default})", st["shape"]
        if self.chance(50):
            name = self.fresh("h")
            self.emit(f"{name} = {read}")
            self.bind(name, shape, st["active"])
            self.state_outputs.append(self.lookup(name))
        else:
            self.env.append(Var(read, shape, st["active"]))
            self.state_outputs.append(self.env[-1])

    # ---- functions --------------------------------------------------------------
    def helper(self, index):
        """A module-level helper with one or two parameters and several returns."""
        name = f"helper{index}"
        pshapes = [self.shape() for _ in range(self.n(1, 2))]
        tuple_ret = self.chance(35)
        rshapes = (self.shape(), self.shape()) if tuple_ret else (self.shape(),)
        self.lines, self.env, self.ints, self.indent = [], [], [], 1
        pnames = [f"a{i}" for i in range(len(pshapes))]
        for p, s in zip(pnames, pshapes):
            self.bind(p, s, True)
        if self.chance(20):
            # an augmented assignment into a parameter: a number is rebound, an array
            # is the caller's, changed in place (FINDINGS A6: source mode made a new
            # one, and the caller's array kept its old value in the generated code)
            k = self.n(0, len(pnames) - 1)
            e, _ = self.expr(pshapes[k], 1)
            self.emit(f"{pnames[k]} {self.pick(['+=', '-=', '*='])} {e}")
        self.block(self.n(0, 2), 1)

        def ret():
            parts = [self.expr(s, 2)[0] for s in rshapes]
            self.emit(f"return {', '.join(parts)}")

        if self.chance(60):
            c, _ = self.cond(1)
            self.emit(f"if {c}:")
            self.indent += 1
            ret()
            self.indent -= 1
        ret()
        if self.chance(4):
            # imports inside the function (source mode refuses them, so mode="auto"
            # runs it on the tape): they once gave the tape the real modules, whose
            # type tests all said no
            self.lines[:0] = ["    import numpy as np", "    import math"]
        src = [f"def {name}({', '.join(pnames)}):"] + self.lines
        self.helpers.append((name, pshapes, rshapes, tuple_ret))
        return "\n".join(src)

    def local_helpers(self):
        """Helpers defined inside ``f``: a lambda or a one-line ``def``, which the
        compiler inlines at each call, or a ``def`` of two statements, which it refuses
        (the tape runs the program).  A body is a random expression of the helper's
        parameters and of names of ``f`` it reads as a closure; calls pass random
        expressions.  (A one-line ``sigmoid`` once lost its gradient: FINDINGS A5.)"""
        for _ in range(self.n(1, 2)):
            name = self.fresh("loc")
            pshapes = [self.shape() for _ in range(self.n(1, 2))]
            rshape = self.shape()
            outer = self.env
            self.env = [v for v in outer if self.chance(40)]  # read as a closure
            pnames = [self.fresh("p") for _ in pshapes]
            for p, shape in zip(pnames, pshapes):
                self.bind(p, shape, True)
            body, _ = self.expr(rshape, self.n(1, 3))
            self.env = outer
            form = self.pick(["lambda"] * 3 + ["def"] * 4 + ["two"])
            if form == "lambda":
                self.emit(f"{name} = lambda {', '.join(pnames)}: {body}")
            else:
                self.emit(f"def {name}({', '.join(pnames)}):")
                self.indent += 1
                if form == "two":
                    u = self.fresh("u")
                    self.emit(f"{u} = {body}")
                    body = f"{u} * {self.const()}"
                self.emit(f"return {body}")
                self.indent -= 1
            self.helpers.append((name, pshapes, (rshape,), False))

    def params_general(self):
        m, n = self.n(2, 4), self.n(2, 4)
        self.SHAPES = [(), (n,), (m,), (m, n), (n, m)]
        params = []
        for i in range(self.n(1, 3)):
            kind = self.pick(["arr", "arr", "float"])
            shape = self.shape() if kind == "arr" else ()
            if kind == "arr" and shape == ():
                shape = (n,)
            params.append(Param(f"x{i}", kind, shape))
        for i in range(self.n(0, 2)):
            kind = self.pick(["data", "int", "cfloat", "idata"])
            if kind == "data":
                params.append(Param(f"D{i}", "data", self.pick(self.SHAPES[1:])))
            elif kind == "idata":
                dt = self.pick(sorted(_INT_DATA))
                params.append(Param(f"N{i}", "idata", self.pick(self.SHAPES[1:]), dt))
            elif kind == "int":
                params.append(Param(f"k{i}", "int", (), self.n(0, 3)))
            else:
                params.append(Param(f"c{i}", "cfloat", (), self.pick([0.5, -1.25, 2.0])))
        return params

    def bind_params(self, params):
        for p in params:
            if p.kind == "int":
                self.ints.append(IntVar(f"min({p.name}, 1)", 2))
                continue
            self.bind(p.name, p.shape, p.diff)

    def main_general(self, params):
        self.bind_params(params)
        if self.family == "locals" or self.chance(30):
            self.local_helpers()
        self.block(self.n(1, 6), 2)
        if self.family == "general" and self.rarely(10):
            self.st_state_loop()  # (the "states" family's loop, now and then)

    def main_states(self, params):
        """General statements around one or two state loops (``st_state_loop``)."""
        self.bind_params(params)
        if self.chance(20):
            self.local_helpers()
        self.block(self.n(0, 3), 2)
        for _ in range(1 if self.chance(70) else 2):
            self.st_state_loop()
            self.block(self.n(0, 2), 2)

    def main_loops(self, params):
        """A per-sample loop over data rows with inactive temporaries."""
        n_samples = dict((p.name, p) for p in params)["X"].shape[0]
        n = dict((p.name, p) for p in params)["X"].shape[1]
        self.bind_params([p for p in params if p.name not in ("X", "Y")])
        self.bind("X", (n_samples, n), False)
        self.bind("Y", (n_samples,), False)
        if self.chance(40):
            self.block(1, 0)
        acc = self.pick(["s", "total"])
        self.emit(f"{acc} = 0.0")
        self.bind(acc, (), False)
        before = [v for v in self.env]
        header = self.n(0, 6)
        batch = header == 4
        xs, ys = ((2, n), (2,)) if batch else ((n,), ())
        outer = self.chance(20)
        if outer:
            self.emit(f"for epoch in range({self.n(1, 2)}):")
            self.indent += 1
        if header == 0:
            self.emit("for x, y in zip(X, Y):")
            self.indent += 1
        elif header == 1:
            count = self.pick([str(n_samples), "len(X)", "X.shape[0]", "len(Y)"])
            self.emit(f"for i in range({count}):")
            self.indent += 1
            self.emit("x = X[i]")
            self.emit("y = Y[i]")
        elif header == 2:
            self.emit("for i, x in enumerate(X):")
            self.indent += 1
            self.emit("y = Y[i]")
        elif header == 3:
            self.emit("i = 0")
            self.emit(f"while i < {n_samples}:")
            self.indent += 1
            self.emit("x = X[i]")
            self.emit("y = Y[i]")
            self.emit("i += 1")
        elif header == 4:
            self.emit(f"for i in range(0, {n_samples - 1}, 2):")
            self.indent += 1
            self.emit("x = X[i:i + 2]")
            self.emit("y = Y[i:i + 2]")
        elif header == 5:
            self.emit("for x, y in zip(X, Y):")
            self.indent += 1
        else:
            self.emit(f"for i in range({n_samples}):")
            self.indent += 1
            self.emit("x, y = X[i], Y[i]")
        self.bind("x", xs, False)
        self.bind("y", ys, False)
        self.in_loop += 1
        # inactive temporaries: computed from the sample only
        active_env = self.env
        self.env = [v for v in self.env if not v.active]
        for _ in range(self.n(0, 2)):
            self.st_assign(0)
        inactive = self.env
        self.env = active_env + [v for v in inactive if v not in active_env]
        w = next(p.name for p in params if p.name == "w")
        z = self.pick(
            [
                f"(x @ {w}) * y" if batch else f"np.dot({w}, x) * y",
                f"(x @ {w}) * y",
                f"np.sum({w} * x, axis=-1) * y",
                f"np.tanh(x @ {w}) - y",
            ]
        )
        self.emit(f"z = {z}")
        self.bind("z", ys, True)
        self.block(self.n(0, 2), 1)
        loss = self.pick(
            [
                "np.log1p(np.exp(-z))",
                "(z - y) ** 2",
                "np.tanh(z) * y",
                "np.log(1.0 + np.exp(-z))",
                "np.maximum(0.0, 1.0 - z)",
                "z * z",
            ]
        )
        if self.chance(40):
            extra, _ = self.expr(ys, 1)
            loss = f"{loss} + 0.1 * {extra}"
        if batch:
            loss = f"np.sum({loss})"
        self.emit(self.pick([f"{acc} = {acc} + {loss}", f"{acc} += {loss}"]))
        if self.chance(25):
            step = "np.tanh(z) @ x" if batch else "np.tanh(z) * x"
            self.emit(f"{w} = {w} - 0.1 * {step}")
        self.in_loop -= 1
        self.indent = 1
        self.env = before  # names first bound in the loop may be unbound (break)
        self.bind(acc, (), True)
        self.bind("w", (n,), True)

    def params_loops(self):
        n_samples, n = self.n(2, 4), self.n(2, 4)
        self.SHAPES = [(), (n,), (n_samples,), (n_samples, n)]
        params = [Param("w", "arr", (n,))]
        if self.chance(50):
            params.append(Param("b", self.pick(["float", "arr"]), ()))
            if params[-1].kind == "arr":
                params[-1].shape = (n,)
        params += [Param("X", "data", (n_samples, n)), Param("Y", "data", (n_samples,))]
        if self.chance(30):
            params.append(Param("c0", "cfloat", (), 0.5))
        return params

    def program(self):
        helpers_src = []
        general = self.family in ("general", "locals", "states")
        if general:
            params = self.params_general()
            if self.family == "states" and self.chance(60):
                # min-char-rnn's square weight matrix, for np.dot(hs[t - 1], W)
                n = self.SHAPES[1][0]
                params.insert(self.n(0, len(params)), Param("W", "arr", (n, n)))
            for i in range(self.n(0, 2)):
                helpers_src.append(self.helper(i))
        else:
            params = self.params_loops()
        self.lines, self.env, self.ints, self.indent = [], [], [], 1
        if self.family == "states":
            self.main_states(params)
        elif general:
            self.main_general(params)
        else:
            self.main_loops(params)
        if self.family == "loops" and self.chance(70):
            acc = next(v.name for v in self.env if v.name in ("s", "total"))
            ret = self.pick(
                [acc, f"{acc} / len(X)", f"{acc} + 0.1 * np.sum(w * w)", f"{acc} / Y.shape[0]"]
            )
        else:
            recent = [v for v in self.env if v.active] or self.env
            parts = []
            for v in recent[-self.n(1, 3) :]:
                parts.append(self.convert_scalar(v))
            if self.family == "states":  # what the state loops left reaches the value
                outs = self.state_outputs
                for v in outs[-self.n(1, 2) :]:
                    part = self.convert_scalar(v)
                    if part not in parts:
                        parts.append(part)
            ret = " + ".join(parts)
        self.emit(f"return {ret}")
        sig = ", ".join(p.name for p in params)
        main = [f"def f({sig}):"] + self.lines
        src = (
            "import math\n\nimport numpy as np\n\n\n"
            + "\n\n\n".join(helpers_src + ["\n".join(main)])
            + "\n"
        )
        return Program(src, "f", params, self.n(0, 2**16), self.family)

    def convert_scalar(self, v):
        if v.shape == ():
            return v.text
        k = self.n(0, 2)
        if k == 0:
            return f"np.sum({v.text} * {v.text})"
        if k == 1:
            return f"np.sum(np.sin({v.text}))"
        return f"np.mean({v.text})"


@st.composite
def programs(draw, family="general"):
    """A random program of ``family`` ("general", "loops", "locals" or "states")."""
    if family == "all":
        family = draw(st.sampled_from(FAMILIES))
    return Gen(draw, family).program()
