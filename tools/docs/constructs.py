"""One small function per construct the compiler takes, for the compiler page.

``docgen.constructs_markdown`` shows each beside the code ``srcad`` generates for it
when the site is built, and checks the gradient against finite differences then.
Each entry of ``EXAMPLES``: (title, what to notice, function, arguments, wrt, kind).
"""

import numpy as np

import srcad


def arithmetic(x, y):
    z = x * y + np.sin(x) / y
    return np.sum(z**2)


def broadcasting(w, b):
    h = w * b  # w (3, 4) times b (4,): the adjoint of b is summed over rows
    return np.sum(np.exp(h))


def branch(x):
    if np.sum(x) > 0:
        y = x * 2.0
    elif np.max(x) > 1:
        y = np.sin(x)
    else:
        y = -x
    return np.sum(y)


def for_range(x, n):
    s = 0.0
    for i in range(n):
        s = s + x[i] * x[i]
    return s


def for_over_items(xs, scales):
    total = 0.0
    for k, (x, c) in enumerate(zip(xs, scales)):
        total = total + c * np.sum(x) * k
    return total


def while_loop(x):
    y = x
    while np.max(np.abs(y)) > 0.1:
        y = y * 0.5
    return np.sum(y * y)


def break_continue(x):
    s = 0.0
    for i in range(5):
        if x[i] < 0:
            continue
        if s > 2.0:
            break
        s = s + np.exp(x[i])
    return s


def early_return(x):
    if x > 0:
        return x * x
    return -x


def helper(a, b=2.0):
    return np.tanh(a) * b


def calls_helper(x):
    y = helper(x, b=3.0)
    return np.sum(helper(y))


def containers(x):
    pair = (x, x * 2)
    d = {"a": pair[0], "b": pair[1]}
    parts = [d["a"], np.cos(d["b"])]
    parts.append(x**2)
    return np.sum(parts[0] + parts[1] + parts[2])


def indexing(x):
    y = x[1:] - x[:-1]
    z = x[[0, 2]]
    return np.sum(y**2) + np.sum(z) + np.sum(x[x > 0])


def item_assignment(x):
    y = np.zeros(3)
    y[0] = x[1] * 2
    y[1:] = np.sin(x[:2])
    return np.sum(y * y)


def augmented(x):
    s = x * 1.0
    s += np.sin(x)
    s *= x
    return np.sum(s)


def comprehension(x):
    squares = [x[i] ** 2 for i in range(3)]
    return sum(squares) + sum(np.sin(v) for v in squares)


def local_lambda(x):
    f = lambda t: t * np.exp(t)  # inlined where it is called
    return np.sum(f(x))


def cut_gradient(x):
    scale = srcad.stop_gradient(np.max(x))
    with srcad.no_grad():
        offset = np.mean(x)
    return np.sum(x / scale + offset * x)


def clip_adjoint(x):
    h = np.tanh(x)
    with srcad.insert_grad_of(h) as dh:
        dh = np.clip(dh, -0.1, 0.1)
    return np.sum(h * 3.0)


def vector_valued(x):
    return np.sin(x) * x


_rng = np.random.default_rng(0)
V3 = _rng.standard_normal(3)
V5 = _rng.standard_normal(5)
M34 = _rng.standard_normal((3, 4))
V4 = _rng.standard_normal(4)

EXAMPLES = [
    (
        "Arithmetic and NumPy calls",
        "Each operation gets one line and a named temporary.",
        arithmetic,
        (V3, V3 + 3.0),
        0,
        "grad",
    ),
    (
        "Broadcasting",
        "`_rt.unbroadcast` sums the adjoint back to the argument's shape.",
        broadcasting,
        (M34, V4),
        1,
        "grad",
    ),
    (
        "`if` / `elif` / `else`",
        "The condition is saved, and the backward sweep takes the same branch.",
        branch,
        (V3,),
        0,
        "grad",
    ),
    (
        "`for` over a `range`",
        "The loop runs backwards in the adjoint; overwritten values "
        "are pushed on a stack and popped.",
        for_range,
        (V3, 3),
        0,
        "grad",
    ),
    (
        "`for` over `enumerate` and `zip`",
        "Every loop is turned into a loop over a `range` and indexing.",
        for_over_items,
        ([V3, V3 * 2], [0.5, 2.0]),
        0,
        "grad",
    ),
    (
        "`while`",
        "The number of iterations is counted, then replayed backwards.",
        while_loop,
        (V3 * 4,),
        0,
        "grad",
    ),
    (
        "`break` and `continue`",
        "They become flags and guarded blocks.",
        break_continue,
        (V5,),
        0,
        "grad",
    ),
    (
        "Several `return`s",
        "Each `return` sets a flag; the backward sweep runs the adjoint of the one taken.",
        early_return,
        (1.5,),
        0,
        "grad",
    ),
    (
        "Calls of your own functions",
        "`helper` is differentiated once into a forward/backward "
        "pair, keyword and default arguments included.",
        calls_helper,
        (V3,),
        0,
        "grad",
    ),
    (
        "Tuples, dicts, lists, `append`",
        "Containers are taken apart into their elements.",
        containers,
        (V3,),
        0,
        "grad",
    ),
    (
        "Slices, fancy and boolean indexing",
        "The adjoint of a subscript is scattered back.",
        indexing,
        (V5,),
        0,
        "grad",
    ),
    (
        "Assignment into an array",
        "The overwritten slice is saved and restored.",
        item_assignment,
        (V3,),
        0,
        "grad",
    ),
    ("Augmented assignment", "`s += v` is `s = s + v`.", augmented, (V3,), 0, "grad"),
    (
        "Comprehensions and generator expressions",
        "They become loops.",
        comprehension,
        (V3,),
        0,
        "grad",
    ),
    ("A local lambda", "Inlined at the call.", local_lambda, (V3,), 0, "grad"),
    (
        "`stop_gradient` and `no_grad`",
        "No adjoint code for what they cut.",
        cut_gradient,
        (V3 + 2.0,),
        0,
        "grad",
    ),
    (
        "`insert_grad_of`",
        "The block runs in the backward sweep, on the adjoint of `h`.",
        clip_adjoint,
        (V3,),
        0,
        "grad",
    ),
    (
        "Forward mode (`srcad.jvp`)",
        "Tangent statements interleaved with the primal ones.",
        arithmetic,
        (V3, V3 + 3.0),
        0,
        "jvp",
    ),
    (
        "Any output shape (`srcad.vjp`)",
        "A forward function that returns what the backward "
        "needs, and a backward function that takes the cotangent.",
        vector_valued,
        (V3,),
        0,
        "vjp",
    ),
]

NOT_FD = {cut_gradient, clip_adjoint}  # they change the gradient on purpose
