"""One argument policy in both engines (issue 10, items 4 and 5)."""

import collections
import dataclasses

import numpy as np
import pytest

import srcad

from .fd import fd

MODES = ("source", "tape")


def sqrt_sum(x):
    return np.sum(np.sqrt(x))


@pytest.mark.parametrize("mode", MODES)
def test_integer_arrays_are_differentiated_as_float64(mode):
    x = np.array([1, 2])
    g = srcad.grad(sqrt_sum, mode=mode)(x)
    np.testing.assert_allclose(g, 0.5 / np.sqrt([1.0, 2.0]))  # [0.5, 0.354], not [0 0]
    assert g.dtype == np.float64
    g32 = srcad.grad(sqrt_sum, mode=mode)(np.array([1, 4], dtype=np.int32))
    assert g32.dtype == np.float64  # int32 in never gives int64 out
    f32 = srcad.grad(sqrt_sum, mode=mode)(np.array([1.0, 4.0], dtype=np.float32))
    assert f32.dtype == np.float32


@pytest.mark.parametrize("mode", MODES)
def test_integer_scalars(mode):
    def f(x):
        return np.sqrt(x) - x * x

    want = fd(f, 3.0)  # 1/(2 sqrt 3) - 6
    assert srcad.grad(f, mode=mode)(np.int64(3)) == pytest.approx(want, rel=1e-6)
    g = srcad.grad(f, mode=mode)(3)
    assert isinstance(g, float) and g == pytest.approx(want, rel=1e-6)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "bad", ["abc", True, np.bool_(True), None, object(), np.array([True, False])]
)
def test_unusable_wrt_arguments_are_a_type_error_naming_them(mode, bad):
    with pytest.raises(TypeError, match="'x'"):
        srcad.grad(sqrt_sum, mode=mode)(bad)


@pytest.mark.parametrize("mode", ["tape"])
def test_complex_is_refused_the_same_way(mode):
    # (the compiler, mode="source" or "auto", takes complex arguments with JAX's
    # convention: tests/rules; the tape, with PyTorch's real-only rules here, refuses)
    with pytest.raises(TypeError, match="complex"):
        srcad.grad(sqrt_sum, mode=mode)(np.array([1 + 1j]))
    with pytest.raises(TypeError, match="complex"):
        srcad.grad(sqrt_sum, mode=mode)(1j)


def test_complex_output_from_real_input_is_refused_on_the_tape():
    c = np.array([1j, 2.0])
    with pytest.raises(TypeError, match="complex"):
        srcad.grad(lambda x: np.sum(x * c), mode="tape")(np.array([1.0, 2.0]))


Params = collections.namedtuple("Params", "w b")


@dataclasses.dataclass
class Layer:
    w: np.ndarray
    b: float


def loss_nt(p, x):
    return np.sum(np.tanh(p.w * x)) + p.b**2


def loss_nested(p, x):
    return np.sum(p["layers"][0].w * x) * p["layers"][1][0] + np.sum(p["scale"] ** 2)


@pytest.mark.parametrize("mode", ("tape", "auto"))
def test_namedtuple_and_dataclass_parameters(mode):
    x = np.array([0.5, -1.0])
    for p in (Params(np.array([1.0, 2.0]), 0.5), Layer(np.array([1.0, 2.0]), 0.5)):
        with pytest.warns(srcad.FallbackWarning) if mode == "auto" else _nothing():
            g = srcad.grad(loss_nt, mode=mode)(p, x)
        assert type(g) is type(p)
        np.testing.assert_allclose(g.w, fd(lambda w: loss_nt(Params(w, 0.5), x), p.w), rtol=1e-6)
        assert g.b == pytest.approx(1.0)


def test_namedtuple_in_source_mode_is_a_clear_error():
    with pytest.raises(srcad.UnsupportedError, match="namedtuple"):
        srcad.grad(loss_nt, mode="source")(Params(np.ones(2), 0.5), np.ones(2))


def test_nested_containers_keep_their_structure():
    x = np.array([0.5, -1.0])
    p = {"layers": [Layer(np.array([1.0, 2.0]), 0.0), (3.0, 4.0)], "scale": np.array([1.0])}
    g = srcad.grad(loss_nested, mode="tape")(p, x)
    assert set(g) == {"layers", "scale"} and isinstance(g["layers"], list)
    assert isinstance(g["layers"][0], Layer) and isinstance(g["layers"][1], tuple)
    np.testing.assert_allclose(g["layers"][0].w, x * 3.0)
    assert g["layers"][1][0] == pytest.approx(np.sum(p["layers"][0].w * x))
    assert g["layers"][1][1] == 0.0
    np.testing.assert_allclose(g["scale"], [2.0])


@pytest.mark.parametrize("mode", MODES)
def test_dict_list_tuple_parameters_both_engines(mode):
    def f(p, x):
        return np.sum(p["w"] * x) + p["c"][0] * p["c"][1]

    p = {"w": np.array([1.0, 2.0]), "c": (2.0, 3.0)}
    g = srcad.grad(f, mode=mode)(p, np.array([3.0, 4.0]))
    np.testing.assert_allclose(g["w"], [3.0, 4.0])
    assert tuple(g["c"]) == pytest.approx((3.0, 2.0)) and isinstance(g["c"], tuple)


def writes_into(x, y):
    x[0] = x[0] * 3.0
    y *= 2.0
    return np.sum(x**2) + np.sum(y)


@pytest.mark.parametrize("mode", ("source", "tape", "auto"))
def test_arguments_are_never_modified(mode):
    x, y = np.array([1.0, 2.0]), np.array([1.0, 1.0])
    x0, y0 = x.copy(), y.copy()
    g = srcad.grad(writes_into, mode=mode)(x, y)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(y, y0)
    np.testing.assert_allclose(g, [18.0, 4.0])


@pytest.mark.parametrize("mode", MODES)
def test_arguments_unchanged_when_the_function_raises(mode):
    def f(x):
        x[0] = 100.0
        return np.sum(np.log(x) * np.ones(3))  # shapes do not fit: raises

    x = np.array([1.0, 2.0])
    with pytest.raises((ValueError, RuntimeError)):  # NumPy's, or PyTorch's on the tape
        srcad.grad(f, mode=mode)(x)
    np.testing.assert_array_equal(x, [1.0, 2.0])


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


def modulus_squared(re, im):
    z = re + 1j * im
    return np.abs(z) ** 2


@pytest.mark.parametrize("mode", ["tape"])
def test_complex_inside_a_real_function_is_refused_not_wrong(mode):
    # d/d(re, im) |re + i im|^2 = (2 re, 2 im); the tape's rules are real-only, so it
    # refuses rather than return a conjugated (2, -4)
    with pytest.raises(TypeError, match="complex"):
        srcad.grad(modulus_squared, wrt=(0, 1), mode=mode)(1.0, 2.0)


@pytest.mark.parametrize("mode", ["source", "auto"])
def test_complex_inside_a_real_function_in_source_mode_is_right(mode):
    # source mode follows JAX's convention: a real argument gets the real part
    g = srcad.grad(modulus_squared, wrt=(0, 1), mode=mode)(1.0, 2.0)
    assert np.allclose(g, (2.0, 4.0))
