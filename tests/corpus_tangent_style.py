"""An independent corpus in the style of Tangent's ``tests/functions.py``.

Short functions named by what they test.  Scalar parameters ``a, b, c`` are
Python floats in [0.5, 1.5]; array parameters ``x, y`` are (4,) float arrays
with mixed signs (see ``tests/corpus/__init__.py``).  Helpers start with an
underscore.  ``_expect`` attaches a hand-derived gradient where finite
differences cannot see what the function asks for (insert_grad_of,
stop_gradient, no_grad).
"""

import numpy as np

import srcad


def _expect(**grads):
    def mark(f):
        f.expected_grad = grads
        return f
    return mark


def _add_one(t):
    return t + 1.0


def _times(t, s=3.0):
    return t * s


def _twice_then_square(t):
    return _add_one(t * 2.0) ** 2


def _halve_until(t, depth):
    if depth == 0:
        return t
    return _halve_until(t * 0.5 + t * t * 0.25, depth - 1)


def _pair_of(t):
    return t * 2.0, t * t


# -- basics ----------------------------------------------------------------

def identity(a):
    return a


def unary_negation(a):
    return -a


def add_constant(a):
    return a + 2.0


def sum_of_two(a, b):
    return a + b


def difference(a, b):
    return a - b


def product_of_three(a, b, c):
    return a * b * c


def quotient(a, b):
    return a / b


def square(a):
    return a * a


def cube_by_power(a):
    return a ** 3


def power_of_args(a, b):
    return a ** b


def inverse(a):
    return 1.0 / a


def polynomial(a):
    return a * a * a - 2.0 * a * a + 5.0 * a - 1.0


def saxpy(a, x, y):
    return np.sum(a * x + y)


def sum_of_squares(x):
    return np.sum(x * x)


def weighted_sum(x, y):
    return np.sum(x * y)


def dot_product(x, y):
    return x @ y


# -- variables -------------------------------------------------------------

def overwrite_variable(a):
    b = a
    b = b * a
    b = b * a
    return b


def reassign_argument(a):
    a = a * 2.0
    a = a + 1.0
    return a * a


def overwrite_call(a):
    a = np.sin(a)
    a = np.sin(a)
    return a


def temporaries(a, b):
    t1 = a * b
    t2 = t1 + a
    t3 = t2 * t1
    return t3 - b


def unused_variable(a):
    b = a * 10.0  # noqa: F841
    return a * 2.0


def augmented_plus(a, b):
    a += b
    return a * a


def augmented_times(a):
    b = 1.0
    b *= a
    b *= a
    return b


def augmented_array(x, y):
    z = x * 1.0
    z += y
    z *= x
    return np.sum(z)


# -- conditionals ----------------------------------------------------------

def if_else(a):
    if a > 1.0:
        b = a * a
    else:
        b = a * 3.0
    return b


def if_without_else(a):
    b = a
    if a > 0:
        b = b * b
    return b


def if_false_branch(a):
    if a < 0:
        return a * a
    return a * 2.0


def nested_if(a, b):
    if a > 0:
        if b > 0:
            c = a * b
        else:
            c = a
    else:
        c = b
    return c


def elif_chain(a):
    if a > 2.0:
        return a
    elif a > 0.0:
        return a * a
    else:
        return -a


def if_with_return(a):
    if a > 0:
        return a * a * a
    return a


def conditional_expression(a):
    return a * a if a > 0 else -a


def branch_on_array(x):
    if np.sum(x) > 100.0:
        return np.sum(x)
    return np.sum(x * x)


def comparison_chain(a, b):
    if 0.0 < a < 2.0 and b > 0.0:
        return a * b
    return a


def boolean_not(a):
    if not a < 0:
        return a * 4.0
    return a


def elementwise_branches(x):
    s = 0.0
    for t in x:
        if t > 0:
            s = s + t
        else:
            s = s - t * t
    return s


# -- loops -----------------------------------------------------------------

def for_loop(a):
    b = 0.0
    for _ in range(4):
        b = b + a * a
    return b


def for_loop_index(a):
    b = a
    for i in range(1, 5):
        b = b * a / i
    return b


def for_loop_over_array(x):
    s = 0.0
    for t in x:
        s = s + t * t
    return s


def for_loop_with_break(a):
    b = a
    for i in range(10):
        b = b * a
        if i > 3:
            break
    return b


def for_loop_with_continue(x):
    s = 0.0
    for t in x:
        if t < 0:
            continue
        s = s + np.exp(t)
    return s


def nested_for_loop(a):
    b = 1.0
    for _ in range(3):
        for _ in range(2):
            b = b * a + 0.1
    return b


def for_enumerate(x):
    s = 0.0
    for i, t in enumerate(x):
        s = s + i * t
    return s * s


def for_zip(x, y):
    s = 0.0
    for p, q in zip(x, y):
        s = s + p * q * q
    return s


def for_reversed_range(x):
    s = 0.0
    for i in range(3, -1, -1):
        s = s * 0.5 + x[i]
    return s


def while_loop(a):
    i = 0
    b = a
    while i < 3:
        b = b * a
        i = i + 1
    return b


def while_on_value(a):
    while a < 5.0:
        a = a * 2.0
    return a


def while_with_break(a):
    i = 0
    while True:
        a = a * 1.1
        i += 1
        if i == 4:
            break
    return a


def loop_overwrites_array(x, y):
    for _ in range(5):
        x = x * y
    return np.sum(x)


def loop_accumulates_list(x):
    out = []
    for t in x:
        out.append(t * t)
    return out[0] + out[1] * out[2]


def list_comprehension(x):
    return sum([t * 3.0 for t in x])


# -- calls -----------------------------------------------------------------

def call_simple(a):
    return _add_one(a) * a


def call_with_default(a):
    return _times(a)


def call_with_keyword(a, b):
    return _times(a, s=b)


def call_nested(a):
    return _twice_then_square(a)


def call_composed(a):
    return _add_one(_times(_add_one(a)))


def call_recursive(a):
    return _halve_until(a, 3)


def call_returning_tuple(a):
    p, q = _pair_of(a)
    return p + q


def call_numpy_in_helper(x):
    return np.sum(_times(np.tanh(x)))


# -- containers --------------------------------------------------------------

def tuple_unpacking(a, b):
    t = (a, b)
    p, q = t
    return p * q


def tuple_swap(a, b):
    a, b = b, a
    return a - b * 2.0


def list_index(a, b):
    l = [a, b, a * b]
    return l[2] + l[0]


def list_assignment(a, b):
    l = [a, b]
    l[0] = l[0] * b
    return l[0] + l[1]


def dict_saxpy(a, x, y):
    d = {"scale": a, "v": x}
    return np.sum(d["scale"] * d["v"] + y)


def dict_assignment(a, b):
    d = {}
    d["p"] = a * b
    d["q"] = d["p"] + a
    return d["q"]


# -- subscripts ----------------------------------------------------------------

def subscript_element(x):
    return x[0] * x[3]


def subscript_slice(x):
    return np.sum(x[1:3] * 2.0)


def subscript_reverse(x):
    return np.sum(x[::-1] * x)


def subscript_mask(x):
    return np.sum(x[x > 0])


def subscript_fancy(x):
    return np.sum(x[[0, 1, 1]] ** 2)


def subscript_store_in_loop(x):
    y = np.zeros_like(x)
    for i in range(4):
        y[i] = x[i] * x[i]
    return np.sum(y)


def subscript_augmented(x):
    y = x.copy()
    y[0] += y[1]
    y[2] *= 2.0
    return np.sum(y * y)


# -- numpy -----------------------------------------------------------------

def numpy_exp(x):
    return np.sum(np.exp(x))


def numpy_log(a):
    return np.log(a)


def numpy_sqrt(x):
    return np.sum(np.sqrt(x * x + 1.0))


def numpy_tanh(x):
    return np.sum(np.tanh(x))


def numpy_sin_cos(a):
    return np.sin(a) * np.cos(a)


def numpy_abs(x):
    return np.sum(np.abs(x))


def numpy_maximum(x, y):
    return np.sum(np.maximum(x, y))


def numpy_minimum(x):
    return np.sum(np.minimum(x, 0.0))


def numpy_where(x):
    return np.sum(np.where(x > 0, x, x * x))


def numpy_clip(x):
    return np.sum(np.clip(x, -0.8, 0.8))


def numpy_mean(x):
    return np.mean(x * x)


def numpy_var(x):
    return np.var(x)


def numpy_std(x):
    return np.std(x)


def numpy_max(x):
    return np.max(x)


def numpy_min(x):
    return np.min(x)


def numpy_prod(x):
    return np.prod(x)


def numpy_cumsum(x):
    return np.sum(np.cumsum(x) * x)


def numpy_outer_sum(x, y):
    return np.sum(np.outer(x, y) ** 2)


def numpy_matmul(x, y):
    return np.sum(np.outer(x, y) @ x)


def numpy_reshape(x):
    return np.sum(np.reshape(x, (2, 2)).T * np.reshape(x, (2, 2)))


def numpy_concatenate(x, y):
    return np.sum(np.concatenate([x, y * 2.0]) ** 2)


def numpy_stack(x, y):
    return np.sum(np.stack([x, y]).T @ np.stack([y, x]))


def numpy_norm(x):
    return np.linalg.norm(x)


def numpy_sum_axis(x):
    return np.sum(np.sum(np.reshape(x, (2, 2)), axis=0) ** 2)


def numpy_flip(x):
    return np.sum(np.flip(x) * x * x)


def method_sum(x):
    return (x * 2.0).sum()


def method_transpose(x, y):
    return np.sum(np.outer(x, y).T * np.outer(y, x))


def builtin_sum(x):
    return sum(x)


def builtin_abs(a):
    return abs(a - 3.0)


def builtin_max(a, b):
    return max(a, b * 2.0)


def float_conversion(a, x):
    return a * float(x[0])


def length_of(x):
    return np.sum(x) * len(x)


# -- grad control ----------------------------------------------------------

@_expect(a=lambda a: 2.9 * a * a)
def inlining_contextmanager(a):
    b = a * a
    with srcad.insert_grad_of(a) as g:
        g = g * 0.9
    c = b * a
    return c


@_expect(a=lambda a, b: 4.0 * a * b, b=lambda a, b: a * a)
def insert_grad_of_at_top(a, b):
    with srcad.insert_grad_of(a) as da:
        da = da * 2.0
    return a * a * b


@_expect(a=lambda a, b: b, b=lambda a, b: 0.0)
def stop_gradient_product(a, b):
    return a * srcad.stop_gradient(b)


@_expect(x=lambda x, y: y.copy(), y=lambda x, y: np.zeros_like(y))
def no_grad_context(x, y):
    with srcad.no_grad():
        z = y * 1.0
    return np.sum(x * z)


def print_something(a):
    print("computing", 3)
    return a * a


def assert_something(a, x):
    assert x.shape == (4,)
    return a * np.sum(x)
