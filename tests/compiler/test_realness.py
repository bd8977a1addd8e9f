"""``grad`` of a complex output is a TypeError, in every engine (compiler/realness.py).

A gradient specialized to a scalar output seeds its backward sweep with the number
``1.0`` and skips the code that only computes the value; on a complex output that
would be the gradient of its real part, silently.  The compiler takes that seed only
where it proves the output real, and ``_rt.seed`` refuses a complex value, as the tape,
JAX and PyTorch do.

The random programs below mix values that stay real with ones that become complex
(``1j``, a Python float's fractional power, a helper function, a list or a dict an
element is put into through another name, a helper that appends to a list it is
given) and ones that make them real again (``np.abs``, ``np.real``, ``.imag``).  What
decides is the value itself: run in plain Python, a complex output must give the
TypeError in mode "source" and "auto"; a real output must give the gradient of
central differences (float64), for the array argument and the Python float argument.
"""

import math
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import srcad

from .genload import load

HEADER = """
import math
import numpy as np


def cplx(v):
    return v * (1.0 + 0.5j)


def twice(v):
    return v * 2.0


def put_complex(lst, v):
    lst.append(v * 1j)
    return 0.0


def f(x, s):
"""

# (template, kinds it takes, kind it gives); kinds: "n" NumPy real, "p" Python
# float, "c" maybe complex; "same" gives the operand's kind
UNARY = [
    ("np.sin({a})", "np", "n"),
    ("np.tanh({a}) * 0.5", "np", "n"),
    ("{a} * {a}", "npc", "same"),
    ("np.exp({a} * 0.1)", "np", "n"),
    ("{a} ** 2", "npc", "same"),
    ("math.sin({a})", "p", "p"),
    ("{a} * 2.0 + 0.5", "npc", "same"),
    ("np.sum({a})", "npc", "same_np"),
    ("{a} * 1j", "npc", "c"),
    ("{a} + (0.5 - 1j)", "npc", "c"),
    ("np.exp(1j * {a})", "npc", "c"),
    ("cplx({a})", "npc", "c"),
    ("twice({a})", "npc", "same"),
    ("np.abs({a} + 0.25)", "npc", "n"),
    ("np.abs({a} * 1j + 0.25) * {a}", "np", "n"),  # (a complex value inside, real out)
    ("np.max(np.abs(np.exp(1j * {a}) + {a}))", "np", "n"),
    ("np.real({a})", "npc", "n"),
    ("{a}.imag + {a}.real", "npc", "same_np"),
    ("np.angle({a} + 0.5)", "npc", "n"),
    ("({a} - 2.0) ** 0.5", "p", "c"),  # a negative Python float: complex
    ("(np.abs({a}) + 1.0) ** 1.5", "npc", "n"),
    ("{a} ** 3.0", "np", "n"),
]
BINARY = [
    ("{a} * {b}", "join"),
    ("{a} + {b}", "join"),
    ("{a} - 0.5 * {b}", "join"),
]


def _join(*kinds):
    if "c" in kinds:
        return "c"
    return "n" if "n" in kinds else "p"


@st.composite
def programs(draw):
    kinds = {"x": "n", "s": "p"}
    lines = []
    lists = {}  # list name -> element kinds (shared by aliases: the same set)
    for i in range(draw(st.integers(2, 7))):
        t = f"t{i}"
        names = sorted(kinds)
        choice = draw(st.integers(0, 9))
        if choice <= 4:
            form, takes, gives = draw(st.sampled_from(UNARY))
            a = draw(st.sampled_from(names))
            if kinds[a] not in takes:
                continue
            if gives == "same":
                gives = kinds[a]
            elif gives == "same_np":
                gives = "c" if kinds[a] == "c" else "n"
            lines.append(f"{t} = " + form.format(a=a))
            kinds[t] = gives
        elif choice <= 6:
            form, _ = draw(st.sampled_from(BINARY))
            a, b = draw(st.sampled_from(names)), draw(st.sampled_from(names))
            lines.append(f"{t} = " + form.format(a=a, b=b))
            kinds[t] = _join(kinds[a], kinds[b])
        elif choice == 7:  # a list, perhaps changed through another name
            a = draw(st.sampled_from(names))
            lst = f"lst{i}"
            lines.append(f"{lst} = [{a}]")
            elems = lists[lst] = {kinds[a]}
            how = draw(st.integers(0, 3))
            b = draw(st.sampled_from(names))
            if how == 0:
                lines.append(f"{lst}.append({b})")
            elif how == 1:
                lines.append(f"alias{i} = {lst}")
                lines.append(f"alias{i}.append({b})")
            elif how == 2:
                lines.append(f"_ = put_complex({lst}, {b})")
                elems.add("c")
            else:
                lines.append(f"{lst} += [{b}]")
            if how != 2:
                elems.add(kinds[b])
            lines.append(f"{t} = sum({lst})")
            kinds[t] = _join(*elems)
        elif choice == 8:  # a dict entry written again
            a, b = draw(st.sampled_from(names)), draw(st.sampled_from(names))
            lines.append(f"d{i} = {{'k': {a}, 'j': 1.0}}")
            lines.append(f"d{i}['k'] = {b}")
            lines.append(f"{t} = d{i}['k'] * d{i}['j']")
            kinds[t] = kinds[b]
        else:  # a loop that accumulates
            a = draw(st.sampled_from(names))
            lines.append(f"{t} = 0.0")
            lines.append("for k in range(2):")
            lines.append(f"    {t} = {t} + {a} * 0.5")
            kinds[t] = _join(kinds[a], "p")
    last = sorted(n for n in kinds if n.startswith("t"))
    out = draw(st.sampled_from(last)) if last else "x"
    mix = draw(st.sampled_from(["np.sum({o})", "np.sum({o}) + np.sum(x)", "np.sum({o} * x)"]))
    lines.append("return " + mix.format(o=out))
    return "\n".join("    " + ln for ln in lines) + "\n"


def _fd(f, x, s, eps=1e-6):
    gx = np.zeros_like(x)
    for k in range(x.size):
        e = np.zeros_like(x)
        e[k] = eps
        gx[k] = (f(x + e, s) - f(x - e, s)) / (2 * eps)
    gs = (f(x, s + eps) - f(x, s - eps)) / (2 * eps)
    return gx, gs


def _outcome(f, x, s, mode):
    """``("grads", (gx, gs))``, ``("refused", exc)`` (the compiler's UnsupportedError in
    mode "source"), or ``("type", exc, fell_back)``."""
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        try:
            got = ("grads", srcad.grad(f, wrt=(0, 1), mode=mode)(x.copy(), s))
        except srcad.UnsupportedError as exc:
            got = ("refused", exc)
        except TypeError as exc:
            got = ("type", exc)
    fell_back = any(issubclass(w.category, srcad.FallbackWarning) for w in seen)
    return got, fell_back


@pytest.mark.parametrize("mode", ["source", "auto"])
@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(body=programs(), s=st.sampled_from([-1.7, 0.8, 1.3]))
def test_random_programs_complex_output_is_refused_real_output_is_right(
    tmp_path_factory, mode, body, s
):
    folder = tmp_path_factory.mktemp("realness")
    f = load(HEADER + body, folder, "realness")
    x = np.array([0.7, -1.2, 1.9])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = f(x.copy(), s)
    for _ in range(2):  # (the second call takes the cached specialization)
        (kind, *rest), fell_back = _outcome(f, x, s, mode)
        if kind == "refused":
            assert mode == "source", body  # (a clear refusal; "auto" takes the tape)
            return
        if np.iscomplexobj(out):
            assert kind == "type" and "complex" in str(rest[0]), (body, kind, rest)
            if not fell_back:
                assert "real scalar output" in str(rest[0]), body
            continue
        if kind == "type":
            # only the tape refuses complex values inside a real function
            assert fell_back and "complex" in str(rest[0]), (body, rest)
            continue
        gx, gs = rest[0]
        want_x, want_s = _fd(f, x, s)
        assert np.all(np.isfinite(want_x)) and math.isfinite(want_s), body
        np.testing.assert_allclose(gx, want_x, rtol=1e-5, atol=1e-6, err_msg=body)
        np.testing.assert_allclose(gs, want_s, rtol=1e-5, atol=1e-6, err_msg=body)


FIXED = """
import numpy as np


def power_half(a):
    return a ** 0.5


def squares(w, X, y):
    r = X @ w - y
    return np.sum(r ** 2) * 0.5


def softmax_xent(W, X, labels):
    z = X @ W
    z = z - np.max(z, axis=1, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.mean(logp[np.arange(X.shape[0]), labels])


def dict_rnn(Wx, xs, h0):
    hs = {}
    hs[-1] = h0
    loss = 0.0
    for t in range(len(xs)):
        hs[t] = np.tanh(np.dot(xs[t], Wx) + hs[t - 1])
        loss += np.sum(hs[t] ** 2)
    return loss


def modulus(re, im):
    z = re + 1j * im
    return np.abs(z) ** 2


def twice(v):
    return v * 2.0


def complex_inside(x):
    z = x * 1j + 0.25
    return np.sum(np.abs(z) * x)


def modulus_sum(z):
    return np.sum(np.abs(z))


def through_helper(x):
    return np.sum(twice(x * 1j))


def through_helper_real(x):
    return np.sum(twice(x) ** 2)


def float_power(a, b):
    c = b * 0.5
    return a ** c


def shared_dict_power(x, s):
    # (a name met twice on the way, d0, once counted as a loop's own value: CI, 3.13)
    d0 = {"k": s, "j": 1.0}
    d0["k"] = s
    t0 = d0["k"] * d0["j"]
    return np.sum((t0 - 2.0) ** 0.5)


def tuple_power(a):
    s = 0.0
    for w in (2.0, 0.5):
        s = s + a ** w
    return s


def loop_power(a, n):
    s = 0.0
    for j in range(n):
        s = s + a ** j
    return s
"""


@pytest.fixture(scope="module")
def fixed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("realness_fixed")
    names = (
        "power_half",
        "squares",
        "softmax_xent",
        "dict_rnn",
        "modulus",
        "through_helper",
        "through_helper_real",
        "float_power",
        "loop_power",
        "tuple_power",
        "complex_inside",
        "modulus_sum",
        "shared_dict_power",
    )
    return {n: load(FIXED, folder, "realfixed", fname=n) for n in names}


def test_python_float_to_a_fractional_power_is_refused_when_complex(fixed):
    g = srcad.grad(fixed["power_half"], mode="source")
    with pytest.raises(TypeError, match="real scalar output"):
        g(-4.0)
    assert g(4.0) == pytest.approx(0.25)


def test_numpy_value_to_a_fractional_power_keeps_the_scalar_seed(fixed):
    # NumPy's ** gives nan, never complex, so the seed is 1.0 and no value is computed
    g = srcad.grad(fixed["power_half"], mode="source")
    assert g(np.float64(4.0)) == pytest.approx(0.25)
    assert "_rt.seed(" not in g.source


def test_a_complex_value_inside_keeps_the_complex_cases_of_the_rules(fixed):
    # |x i + 0.25| x: d/dx = x^2 / |z| + |z|, with z's cotangent conj(z) / |z| (the
    # real-only shortcut, np.sign(z) = z / |z|, would flip the sign of the first term)
    x = np.array([0.7, -1.2, 1.9])
    g = srcad.grad(fixed["complex_inside"], mode="source")
    r = np.abs(x * 1j + 0.25)
    np.testing.assert_allclose(g(x), x * x / r + r, rtol=1e-12)
    assert "abs_deriv" in g.source
    # a complex argument: JAX's convention, dL/dRe - 1j dL/dIm = conj(z) / |z|
    z = np.array([1.0 + 2.0j, -0.5 + 0.25j])
    h = srcad.grad(fixed["modulus_sum"], mode="source")
    np.testing.assert_allclose(h(z), np.conj(z) / np.abs(z), rtol=1e-12)


def test_a_helper_given_a_complex_value_gives_a_complex_output(fixed):
    g = srcad.grad(fixed["through_helper"], mode="source")
    with pytest.raises(TypeError, match="real scalar output"):
        g(np.array([1.0, 2.0]))
    h = srcad.grad(fixed["through_helper_real"], mode="source")
    np.testing.assert_allclose(h(np.array([1.0, 2.0])), [8.0, 16.0])
    assert "_rt.seed(" not in h.source  # (the helper is followed: real)


def test_a_python_float_to_a_computed_power_may_be_complex(fixed):
    g = srcad.grad(fixed["float_power"], wrt=(0, 1), mode="source")
    with pytest.raises(TypeError, match="real scalar output"):
        g(-2.0, 1.0)
    ga, gb = g(4.0, 1.0)
    assert ga == pytest.approx(0.25) and gb == pytest.approx(0.5 * math.log(4.0) * 2.0)
    with pytest.raises(TypeError, match="real scalar output"):
        srcad.grad(fixed["tuple_power"], mode="source")(-2.0)
    with pytest.raises(TypeError, match="real scalar output"):
        srcad.grad(fixed["shared_dict_power"], wrt=(0, 1), mode="source")(np.ones(3), -1.7)
    # an integer exponent (a range loop's variable) is real: the scalar seed stays
    h = srcad.grad(fixed["loop_power"], mode="source")
    assert h(-2.0, 4) == pytest.approx(1.0 + 2 * -2.0 + 3 * 4.0)
    assert "_rt.seed(" not in h.source


RNG = np.random.default_rng(3)


@pytest.mark.parametrize(
    "name, args, wrt",
    [
        ("squares", (RNG.normal(size=4), RNG.normal(size=(6, 4)), RNG.normal(size=6)), 0),
        (
            "softmax_xent",
            (RNG.normal(size=(4, 3)), RNG.normal(size=(6, 4)), RNG.integers(0, 3, 6)),
            0,
        ),
        ("dict_rnn", (RNG.normal(size=(3, 4)) / 3, RNG.normal(size=(5, 3)), np.zeros(4)), 0),
        ("modulus", (1.0, 2.0), (0, 1)),
    ],
)
def test_real_outputs_keep_the_scalar_seed(fixed, name, args, wrt):
    # (what the speed of issue 14 rests on: under grad, the value is not computed)
    g = srcad.grad(fixed[name], wrt=wrt, mode="source")
    g(*args)
    assert "_rt.seed(" not in g.source


AUX = """
import numpy as np


def f(x):
    return np.sum(x) * (1.0 + 1j), 2


def g(x):
    return x[0] * (2.0 + 1j)
"""


@pytest.mark.parametrize("mode", ["source", "auto", "tape"])
def test_complex_outputs_are_refused_with_value_and_grad_and_aux(tmp_path, mode):
    f = load(AUX, tmp_path, "realaux", fname="f")
    g = load(AUX, tmp_path, "realaux", fname="g")
    x = np.array([1.0, 2.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(TypeError, match="real scalar output"):
            srcad.grad(f, has_aux=True, mode=mode)(x)
        with pytest.raises(TypeError, match="real scalar output"):
            srcad.value_and_grad(f, has_aux=True, mode=mode)(x)
        for api in (srcad.grad, srcad.value_and_grad):  # (a Python complex number)
            with pytest.raises(TypeError, match="real scalar output"):
                api(g, mode=mode)(x)


SHARED = """
def f1(x, s):
    lst = [x]
    _ = put_complex(lst, s)
    return sum(lst)


def f2(x, s):
    lst = [x]
    d = {'k': lst}
    lst.append(x * 1j)
    return sum(d['k'])


def f3(x, s):
    lst = [x]
    other = lst
    other.append(x * 1j)
    return sum(lst)


def f4(x, s):
    lst = [x]
    other = lst
    other += [s ** 0.5]
    return sum(lst)


def f5(x, s):
    return sum(gen(x))


def f6(x, s):
    lst = [x]
    exec("lst.append(1j)")
    return sum(lst)
"""


def _yields_complex(v):
    yield v * 1j


@pytest.mark.parametrize("fname", ["f1", "f2", "f3", "f4", "f5", "f6"])
def test_a_list_changed_behind_its_name_is_not_proven_real(fname):
    # The compiler refuses these programs before this analysis runs (alias.py, a
    # called function that changes its argument); the analysis does not count on it.
    import gast

    from srcad.compiler.realness import output_is_real

    tree = gast.parse(SHARED)
    fdef = next(d for d in tree.body if d.name == fname)
    body = fdef.body
    ret = body[-1].value
    body[-1] = gast.Assign([gast.Name("out", gast.Store(), None, None)], ret, None)
    builtins_ = __import__("builtins")

    def resolve(n):
        if n == "put_complex":
            return True, lambda lst, v: lst.append(v * 1j)
        if n == "gen":  # (a generator: its values are what it yields, not returns)
            return True, _yields_complex
        return (True, getattr(builtins_, n)) if hasattr(builtins_, n) else (False, None)

    assert not output_is_real(fdef, "out", {"x", "s"}, {"x", "s"}, {"x"}, resolve)
    # (and the same code without the change through another name is proven real)
    plain = gast.parse(
        "def g(x, s):\n    lst = [x]\n    lst.append(x * 2.0)\n    out = sum(lst)\n"
    )
    assert output_is_real(plain.body[0], "out", {"x", "s"}, {"x", "s"}, {"x"}, resolve)
    # a loop's variable is an integer over a range only (a Python float's power)
    for it, real in (("range(3)", True), ("(2, 0.5)", False), ("reversed([0.5])", False)):
        loop = gast.parse(
            f"def h(s):\n    t = 0.0\n    for w in {it}:\n        t = t + s ** w\n    out = t\n"
        )
        assert output_is_real(loop.body[0], "out", {"s"}, {"s"}, set(), resolve) is real, it
