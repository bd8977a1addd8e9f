"""Small random NumPy programs: loops, element assignment, slices, in-place updates,
arrays built from values, ``math`` calls, helpers and branches.

``program(seed)`` returns ``(source, f)``; ``f(x)`` takes a float64 vector of length
``N`` and returns a float.  The programs are written the NumPy way only: run plainly
they are their own reference (central finite differences).
"""

import math
import random

import numpy as np

N = 4

_UNARY = ["np.sin({})", "np.cos({})", "np.tanh({})", "np.exp(0.3 * {})", "({}) ** 2"]
_SCALAR_MATH = ["math.sin({})", "math.cos({})", "math.exp(0.2 * {})", "math.tanh({})"]

_HELPERS = """
def helper_scale(a, c):
    out = np.zeros(a.shape[0])
    for i in range(a.shape[0]):
        out[i] = a[i] * c + 0.1 * i
    return out


def helper_pair(a):
    return np.array([a[0] * a[1], np.sum(a) ** 2 * 0.1])
"""


class _Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.arrays = ["x"]  # names of length-N float arrays
        self.scalars = []
        self.lines = []
        self.k = 0

    def new(self, prefix):
        self.k += 1
        return f"{prefix}{self.k}"

    def arr(self):
        return self.r.choice(self.arrays)

    def elem(self):
        return f"{self.arr()}[{self.r.randrange(N)}]"

    def emit(self, line, indent=1):
        self.lines.append("    " * indent + line)

    # -- statement kinds -------------------------------------------------------

    def s_unary(self):
        name = self.new("a")
        self.emit(f"{name} = {self.r.choice(_UNARY).format(self.arr())} + {self.arr()}")
        self.arrays.append(name)

    def s_fill_loop(self):
        name = self.new("h")
        self.emit(f"{name} = np.zeros({N})")
        src, other = self.arr(), self.arr()
        self.emit(f"for i in range({N}):")
        body = self.r.choice(
            [
                f"{name}[i] = {src}[i] * {other}[(i + 1) % {N}]",
                f"{name}[i] = np.sin({src}[i]) + 0.5 * i",
                f"{name}[i] = {src}[i] ** 2 if i % 2 else {other}[i]",
            ]
        )
        self.emit(body, 2)
        self.arrays.append(name)

    def s_matrix_rows(self):
        name = self.new("m")
        self.emit(f"{name} = np.zeros((2, {N}))")
        self.emit(f"{name}[0] = {self.arr()}")
        self.emit(f"{name}[1, :] = np.cos({self.arr()})")
        red = self.new("a")
        self.emit(f"{red} = np.sum({name} * {name}, axis=0)")
        self.arrays.append(red)

    def s_inplace(self):
        # update an array made in the program (never x itself), after it was used
        cands = [a for a in self.arrays if a != "x"]
        if not cands:
            return self.s_unary()
        t = self.r.choice(cands)
        op = self.r.choice(["+=", "-=", "*="])
        rhs = self.r.choice([f"0.2 * np.tanh({self.arr()})", "0.9", f"0.1 * {self.arr()}"])
        if self.r.random() < 0.5:
            self.emit(f"for _ in range({self.r.randint(1, 3)}):")
            self.emit(f"{t} {op} {rhs}", 2)
        else:
            self.emit(f"{t} {op} {rhs}")

    def s_slice_update(self):
        cands = [a for a in self.arrays if a != "x"]
        if not cands:
            return self.s_fill_loop()
        t = self.r.choice(cands)
        self.emit(f"{t}[1:3] = {t}[1:3] * 0.5 + {self.arr()}[:2]")

    def s_element_write(self):
        cands = [a for a in self.arrays if a != "x"]
        if not cands:
            return self.s_unary()
        t = self.r.choice(cands)
        self.emit(f"{t}[{self.r.randrange(N)}] = {self.elem()} * {self.elem()}")

    def s_array_of_values(self):
        name = self.new("a")
        items = [self.elem(), f"{self.r.uniform(-1, 1):.3f}", self.elem(), self.elem()]
        self.emit(f"{name} = np.array([{', '.join(items)}])")
        self.arrays.append(name)

    def s_scalar(self):
        name = self.new("s")
        kind = self.r.randrange(3)
        if kind == 0:
            self.emit(f"{name} = {self.r.choice(_SCALAR_MATH).format(self.elem())}")
        elif kind == 1:
            self.emit(f"{name} = np.sum({self.arr()} * {self.arr()})")
        else:
            self.emit(f"{name} = 0.0")
            self.emit(f"for v in {self.arr()}:")
            self.emit(f"{name} += v * 0.5", 2)
        self.scalars.append(name)

    def s_branch(self):
        name = self.new("a")
        a, b = self.arr(), self.arr()
        self.emit(f"if {a}[0] > 0.0:")
        self.emit(f"{name} = {a} * {b}", 2)
        self.emit("else:")
        self.emit(f"{name} = {a} - np.sin({b})", 2)
        self.arrays.append(name)

    def s_helper(self):
        name = self.new("a")
        if self.r.random() < 0.5:
            self.emit(f"{name} = helper_scale({self.arr()}, {self.r.uniform(0.5, 1.5):.2f})")
            self.arrays.append(name)
        else:
            p = self.new("p")
            self.emit(f"{p} = helper_pair({self.arr()})")
            s = self.new("s")
            self.emit(f"{s} = {p}[0] + {p}[1]")
            self.scalars.append(s)

    def build(self):
        kinds = [
            self.s_unary,
            self.s_fill_loop,
            self.s_matrix_rows,
            self.s_inplace,
            self.s_slice_update,
            self.s_element_write,
            self.s_array_of_values,
            self.s_scalar,
            self.s_branch,
            self.s_helper,
        ]
        for _ in range(self.r.randint(4, 8)):
            self.r.choice(kinds)()
        terms = [f"np.sum({a} * {a}) * 0.1" for a in self.arrays[-3:]]
        terms += [f"{s} * 0.3" for s in self.scalars[-2:]]
        self.emit("return " + " + ".join(terms))
        return "def prog(x):\n" + "\n".join(self.lines) + "\n"


def program(seed):
    """``(source, f)`` of random program ``seed``."""
    src = _Gen(seed).build()
    ns = {"np": np, "math": math, "__name__": "srcad_random_programs"}
    exec(compile(_HELPERS + src, f"<random program {seed}>", "exec"), ns)  # noqa: S102
    return src, ns["prog"]
