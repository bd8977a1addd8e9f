"""Second derivatives of random programs: ``grad(grad(f))`` and ``jvp(grad(f))``.

A gradient of generated code differentiates srcad's own runtime helpers (a list's
adjoint made by ``_rt.adjoint_like``, a display's entries read by
``_rt.getitem_adj``...).  ``grad(grad(f))`` of ``np.array([x * x, np.sin(x)])``
added two list adjoints with ``+``, which joins lists: an IndexError there, a
neighbour's entry elsewhere.  The programs here mix the containers the first
gradient turns into such helpers (lists, tuples, dicts, ``np.array`` of a list,
``np.stack``, appends in a loop, indexing) with elementwise math, in both modes.

References that cannot share srcad's mistakes: the central second difference of
``f`` itself in float64, and for ``jvp(grad(f))`` the central difference of srcad's
first derivative, which is itself checked against ``f``'s central difference here.
"""

import warnings

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import srcad

from .genload import load

# statements over the scalar x; each binds a new scalar t<k> from earlier ones
ATOMS = ["x", "{a}", "{a} * {b}", "np.sin({a})", "np.exp(0.3 * {a})", "{a} - 0.5 * {b}"]
STATEMENTS = [
    "t{k} = np.tanh({e})",
    "v{k} = np.array([{e}, {f}])\n    t{k} = np.tanh(np.sum(v{k} * v{k}))",
    "v{k} = np.stack([{e}, {f}, {e} * 0.5])\n    t{k} = np.tanh(np.dot(v{k}, v{k}))",
    "p{k} = ({e}, {f})\n    t{k} = np.tanh(p{k}[0] * p{k}[1])",
    "d{k} = {{'a': {e}, 'b': {f}}}\n    t{k} = d{k}['a'] * np.cos(d{k}['b'])",
    "L{k} = [{e}]\n    for i in range(3):\n        L{k}.append(np.sin(L{k}[-1] * {f}))\n"
    "    t{k} = np.tanh(sum(L{k}))",
    "L{k} = [{e}, {f}]\n    L{k}[0] = L{k}[1] * L{k}[0]\n    t{k} = np.tanh(L{k}[0] + L{k}[1])",
    "w{k} = np.array([{e}, {f}]) * np.array([1.0, 2.0])\n"
    "    t{k} = np.tanh(w{k}[1] - w{k}[0] ** 2)",
]
# (every t<k> is a tanh or a product of bounded values: the central differences stay
# accurate, where a sine of a growing value made them useless)


@st.composite
def programs(draw):
    names = ["x"]
    lines = ["def f(x):"]
    for k in range(draw(st.integers(1, 4))):

        def expr():
            atom = draw(st.sampled_from(ATOMS))
            return atom.format(a=draw(st.sampled_from(names)), b=draw(st.sampled_from(names)))

        stmt = draw(st.sampled_from(STATEMENTS))
        lines.append("    " + stmt.format(k=k, e=expr(), f=expr()))
        names.append(f"t{k}")
    lines.append(f"    return {names[-1]} * {draw(st.sampled_from(names))}")
    return "import numpy as np\n\n\n" + "\n".join(lines) + "\n"


def second_difference(f, x, h=1e-4):
    return (f(x + h) - 2.0 * f(x) + f(x - h)) / (h * h)


def first_difference(f, x, h=1e-6):
    return (f(x + h) - f(x - h)) / (2.0 * h)


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(src=programs(), x=st.floats(0.2, 1.2))
def test_second_derivatives_of_random_programs(src, x, tmp_path_factory):
    f = load(src, tmp_path_factory.mktemp("nested"), "nested")
    want2 = second_difference(f, x)
    scale = max(1.0, abs(want2))
    for mode in ("source", "auto"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", srcad.FallbackWarning)
            try:
                g = srcad.grad(f, mode=mode)
                first = g(x)
            except srcad.UnsupportedError:
                continue  # (a refusal in source mode is allowed; auto must not refuse)
            assert abs(first - first_difference(f, x)) <= 1e-6 * max(1.0, abs(first)), (src, mode)
            gg = srcad.grad(g, mode=mode)
            try:
                got = gg(x)
            except srcad.UnsupportedError:
                assert mode == "source", src
                continue
            assert abs(got - want2) <= 1e-4 * scale, (src, mode, got, want2)
            _, tangent = srcad.jvp(g, mode=mode)(x, 1.0)
            assert abs(tangent - first_difference(g, x)) <= 1e-5 * scale, (src, mode, tangent)
