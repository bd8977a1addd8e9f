"""One small function per refusal of the compiler, for the errors page.

``docgen.errors_markdown`` transforms each with ``mode="source"`` when the site is
built and prints the ``srcad.UnsupportedError`` it raises; the tests check that
each one is refused that way (never with an internal error).
Each entry of ``REFUSALS``: (title, function, transformation, wrt).
"""

import math

import numpy as np

import srcad

counter = 0.0


def uses_global(x):
    global counter
    counter = counter + 1
    return np.sum(x) * counter


def uses_try(x):
    try:
        y = np.log(x)
    except FloatingPointError:
        y = x
    return np.sum(y)


def uses_with(x):
    with open("log.txt", "w") as fh:
        fh.write("hello")
    return np.sum(x)


def uses_del(x):
    y = x * 2
    del y
    return np.sum(x)


def uses_yield(x):
    for v in x:
        yield v * 2


def star_args(*xs):
    return np.sum(xs[0])


def loop_else(x):
    s = 0.0
    for i in range(3):
        s = s + x[i]
    else:
        s = s * 2
    return s


def starred(x):
    first, *rest = x
    return first * 2


def extend_list(x):
    parts = [x]
    parts.extend([x * 2])
    return np.sum(parts[0] + parts[1])


def sort_in_place(x):
    y = x * 2
    y.sort()
    return np.sum(y * x)


def changes_argument(a):
    a[0] = a[0] * 2
    return a


def discards_result(x):
    y = x * 1.0
    changes_argument(y)
    return np.sum(y)


def calls_mutator(x):
    y = x * 1.0
    z = changes_argument(y)
    return np.sum(z)


def aliased_item(x):
    y = x * 2
    z = y
    z[0] = x[1]
    return np.sum(y)


def nested_item(x):
    rows = [x * 1.0, x * 2.0]
    rows[0][1] = x[0]
    return np.sum(rows[0])


def attribute_target(x):
    box = np.ones(1)
    box.value = x
    return np.sum(x)


def method_without_rule(x):
    return x.ptp()


def no_rule(x):
    return math.gamma(x) * 2


def no_tangent_rule(x):
    return np.sum(np.unwrap(x))


def nested_def(x):
    def inner(v):
        if v[0] > 0:
            return v * 2
        return v

    return np.sum(inner(x))


def lambda_passed(x):
    ys = list(map(lambda t: t * 2, x))
    return np.sum(ys)


def function_in_variable(x, f=np.sin):
    g = f
    return np.sum(g(x))


def star_call(x):
    args = (x, 2)
    return np.sum(np.power(*args))


def dict_splat(x):
    d = {"a": x}
    e = {**d}
    return np.sum(e["a"])


def walrus(x):
    s = 0.0
    while (y := np.sum(x)) > s + 10.0:
        s = s + y
    return s * x[0]


def lambda_with_default(x):
    f = lambda t, k=2.0: t * k
    return np.sum(f(x))


def starred_display(x):
    parts = [*x, 1.0]
    return parts[0] * 2


def isinstance_check(x):
    return np.sum(x) if isinstance(x, np.ndarray) else x


def wrong_call(x):
    return np.sum(helper_two(x))


def helper_two(a, b):
    return a * b


def insert_grad_bad(x):
    with srcad.insert_grad_of(x * 2):
        pass
    return np.sum(x)


async def asynchronous(x):
    return x


class Nested:
    pass


def defines_class(x):
    class Local:
        scale = 2.0

    return np.sum(x) * Local.scale


exec_namespace = {"np": np}
exec("def from_exec(x):\n    return np.sum(x * x)\n", exec_namespace)
from_exec = exec_namespace["from_exec"]

REFUSALS = [
    ("`global` statement", uses_global, "grad", 0),
    ("`try` statement", uses_try, "grad", 0),
    ("`with` other than `no_grad` / `insert_grad_of`", uses_with, "grad", 0),
    ("`del` statement", uses_del, "grad", 0),
    ("A nested class", defines_class, "grad", 0),
    ("Generators", uses_yield, "grad", 0),
    ("`async def`", asynchronous, "grad", 0),
    ("`*args` parameters", star_args, "grad", 0),
    ("`else` on a loop", loop_else, "grad", 0),
    ("Starred unpacking", starred, "grad", 0),
    ("In-place list methods", extend_list, "grad", 0),
    ("In-place array methods", sort_in_place, "grad", 0),
    ("A call whose result is discarded", discards_result, "grad", 0),
    ("Assigning into an argument inside a called function", calls_mutator, "grad", 0),
    ("Assigning into an aliased array", aliased_item, "grad", 0),
    ("Assigning into a nested subscript", nested_item, "grad", 0),
    ("Assigning an active value to an attribute", attribute_target, "grad", 0),
    ("A method without a rule", method_without_rule, "grad", 0),
    ("A function without a rule", no_rule, "grad", 0),
    ("A function without a forward rule", no_tangent_rule, "jvp", 0),
    ("A nested `def` with more than one statement", nested_def, "grad", 0),
    ("A lambda handed to another function", lambda_passed, "grad", 0),
    ("A function held in a variable", function_in_variable, "grad", 0),
    ("`*args` in a call", star_call, "grad", 0),
    ("`**` in a dict display", dict_splat, "grad", 0),
    ("An assignment expression (`:=`) in a `while` condition", walrus, "grad", 0),
    ("A lambda with defaults", lambda_with_default, "grad", 0),
    ("Starred elements in a list", starred_display, "grad", 0),
    ("A call that does not match the signature", wrong_call, "grad", 0),
    ("`insert_grad_of` on an expression", insert_grad_bad, "grad", 0),
    ("A function defined by `exec`", from_exec, "grad", 0),
]
