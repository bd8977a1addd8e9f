"""Tangent's stack primitives (``tangent.Stack``, ``tangent.push``, ``tangent.pop``),
as Tangent's own corpus uses them, in source mode: the compiler lowers them to list
appends and pops, so a value that goes through the stack keeps its gradient.

``tangent`` here is a stand-in module with Tangent's semantics (push stores a copy of
an array, pop returns the last value pushed); the compiler recognizes the primitives
by their module name, as it would recognize Tangent's own.
"""

import types

import numpy as np
import pytest

import srcad

from .fdcheck import fd

tangent = types.ModuleType("tangent")


class Stack:
    def __init__(self):
        self._stack = []

    def append(self, x):
        self._stack.append(x)

    def pop(self):
        return self._stack.pop()

    def __len__(self):
        return len(self._stack)


def push(stack, x, op_id):
    stack.append(x.copy() if isinstance(x, np.ndarray) else x)


def pop(stack, op_id):
    return stack.pop()


for _obj in (Stack, push, pop):
    _obj.__module__ = "tangent"
    setattr(tangent, _obj.__name__, _obj)


def stack_pushing(a):
    stack = tangent.Stack()
    y = a * a
    tangent.push(stack, a, "abc")
    aa = tangent.pop(stack, "abc")
    z = y * aa
    z = z * aa
    return z


def useless_stack_ops(a):
    _stack = tangent.Stack()
    b = a * a
    tangent.push(_stack, b, "abc")
    b = tangent.pop(_stack, "abc")
    return a


def redefining_var_as_list(a):
    _stack = tangent.Stack()
    x = a
    tangent.push(_stack, x, "abc")
    x = [a]
    x = tangent.pop(_stack, "abc")
    return a


def pushed_copy_survives_a_write(a):
    s = tangent.Stack()
    b = a * 2.0
    tangent.push(s, b, "b")
    b[0] = 5.0  # Tangent's push stored a copy: the pop sees the old values
    c = tangent.pop(s, "b")
    return np.sum(c * a) + np.sum(b)


def loop_through_stack(a):
    s = tangent.Stack()
    x = a
    for _i in range(3):
        tangent.push(s, x, "x")
        x = np.sin(x) * 1.5
    for _j in range(3):
        x = x * tangent.pop(s, "x")
    return np.sum(x)


@pytest.mark.parametrize(
    "f", [stack_pushing, useless_stack_ops, redefining_var_as_list], ids=lambda f: f.__name__
)
def test_corpus_functions(f):
    for a in (1.3, -0.7):
        got = srcad.grad(f, mode="source")(a)
        assert got == pytest.approx(float(fd(lambda v: f(float(v)), (a,), 0)), rel=1e-6)


@pytest.mark.parametrize("f", [pushed_copy_survives_a_write, loop_through_stack])
def test_arrays_through_the_stack(f):
    a = np.array([0.3, -0.8, 1.1])
    got = srcad.grad(f, mode="source")(a.copy())
    np.testing.assert_allclose(got, fd(f, (a,), 0), rtol=1e-6, atol=1e-8)
    _, t = srcad.jvp(f, mode="source")(a.copy(), np.ones(3))
    np.testing.assert_allclose(t, fd(f, (a,), 0).sum(), rtol=1e-6)


def test_a_stack_of_another_module_is_not_lowered():
    """Only Tangent's primitives are lowered: a user's own push into an inactive object
    stays a call whose result is discarded, refused on active values."""

    def my_push(stack, x):
        stack.append(x)

    def f(a):
        s = []
        my_push(s, a)
        return a * s.pop()

    with pytest.raises(srcad.UnsupportedError, match="discarded"):
        srcad.grad(f, mode="source")(1.5)
