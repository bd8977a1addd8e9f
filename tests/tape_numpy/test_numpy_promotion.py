"""Result dtypes of arithmetic in NumPy programs on the tape: NumPy's, not PyTorch's.

NumPy (NEP 50) treats a NumPy scalar (``np.sum(x)``, ``x[0]``) as no weaker than an
array: ``np.sum(x) * h`` of a float16 array ``h`` is float64.  PyTorch treats a 0-d
tensor as weaker than a dimensioned one (float16), and the tape's arithmetic took
PyTorch's rule inside NumPy programs too: the value and the gradient came out in
float16 (seed 30026 of the ninth session's campaign: a value off by 1e-4, a gradient
by 1e-5).  A Python float stays weak in both (``a * h`` is float16), and so does the
tensor standing for one.  Operands are drawn from float64/float32/float16 arrays,
0-d results, integer and boolean arrays, NumPy scalars and Python numbers; the
reference is the same function run by NumPy (its value, to 1e-13) and central finite
differences of it where NumPy computes in float64.
"""

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import srcad
from srcad.testing import numerical_grad

OPERANDS = [
    "x",
    "x.astype(np.float32)",
    "x.astype(np.float16)",
    "np.sum(x)",
    "np.sum(x.astype(np.float32))",
    "x[1]",
    "a",
    "a * 2.0",
    "0.5",
    "3",
    "H16",
    "H32",
    "I8",
    "U8",
    "B",
    "np.float64(1.5)",
    "np.float32(1.25)",
    "np.sum(H16)",
]
H16 = np.array([0.5, -1.25, 2.0], dtype=np.float16)
H32 = np.array([0.75, 1.5, -0.5], dtype=np.float32)
I8 = np.array([1, -2, 3], dtype=np.int8)
U8 = np.array([2, 5, 1], dtype=np.uint8)
B = np.array([True, False, True])


def _program(left, op, right):
    src = (
        f"def f(x, a):\n    r = ({left}) {op} ({right})\n"
        "    return np.sum(r * r) + 0.0 * np.sum(x) * a\n"
    )
    namespace = {"np": np, "H16": H16, "H32": H32, "I8": I8, "U8": U8, "B": B}
    exec(src, namespace)  # a module function: the tape patches its globals as for a file's
    return namespace["f"], src


@settings(max_examples=300, deadline=None)
@given(
    left=st.sampled_from(OPERANDS),
    op=st.sampled_from(["+", "-", "*", "/"]),
    right=st.sampled_from(OPERANDS),
    seed=st.integers(0, 2**16),
)
def test_numpy_programs_promote_as_numpy(left, op, right, seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.5, 1.5, 3)
    a = float(rng.uniform(0.5, 1.5))
    f, src = _program(left, op, right)
    env = {**f.__globals__, "x": x, "a": a}
    try:
        with np.errstate(all="raise"):
            want = f(x, a)
    except (TypeError, FloatingPointError):
        assume(False)  # NumPy itself refuses (bool - bool) or divides by zero
    parts = [eval(e, env) for e in (left, right)]
    value, grads = srcad.value_and_grad(f, wrt=(0, 1), mode="tape")(x, a)
    np.testing.assert_allclose(float(value), float(want), rtol=1e-13, atol=0, err_msg=src)
    if all(np.result_type(p) in (np.float64, np.int8, np.uint8, np.int64, bool) for p in parts):
        # (finite differences through a float32 or float16 value are noise)
        for i, got in enumerate(grads):
            np.testing.assert_allclose(
                np.asarray(got, float),
                numerical_grad(f, (x, a), wrt=i),
                rtol=1e-5,
                atol=1e-7,
                err_msg=src,
            )


def test_pytorch_code_keeps_pytorchs_promotion():
    """Outside NumPy programs a 0-d tensor stays weaker than a dimensioned one."""
    h = srcad.tensor(H16)
    s = srcad.tensor(2.0, dtype=srcad.float64, requires_grad=True)
    out = s * h
    assert out.dtype == srcad.float16
    out.sum().backward()
    np.testing.assert_allclose(s.grad.numpy(), H16.astype(np.float64).sum(), rtol=1e-3)
