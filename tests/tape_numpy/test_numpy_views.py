"""NumPy views on the tape: followed, or refused, never stale (issue 12, item 2).

``np.flip``, ``np.moveaxis``, ``np.rot90``, ``np.broadcast_to``, ``np.real`` and
``np.atleast_*d`` of a tensor are tape views: a later in-place update of the array
(with a value being differentiated) reaches them, as it reaches NumPy's views, and a
write through them reaches the array.  Views the tape does not track (``np.diagonal``,
the pieces of ``np.split``) are read-only copies; a later write into the array is
refused while such a copy is alive, and so is a recorded write into an array that a
plain NumPy array shares (``np.asarray`` called by code srcad does not run).

Reference: central finite differences of the plain NumPy function (float64).
"""

import numpy as np
import pytest

import srcad

from .fd import fd_grad

VIEWS = {
    "flip": lambda z: np.flip(z),
    "flip_axis": lambda z: np.flip(z, axis=1),
    "fliplr": lambda z: np.fliplr(z),
    "flipud": lambda z: np.flipud(z),
    "moveaxis": lambda z: np.moveaxis(z[None], 0, 2),
    "rot90": lambda z: np.rot90(z),
    "rot90_k3": lambda z: np.rot90(z, 3),
    "broadcast_to": lambda z: np.broadcast_to(z, (2, 3, 3)),
    "real": lambda z: np.real(z),
    "atleast_3d": lambda z: np.atleast_3d(z),
    "atleast_2d_row": lambda z: np.atleast_2d(z[1]),
}

W = np.array([[1.0, -2.0, 0.5], [0.3, 1.1, -0.7], [2.0, 0.1, 0.4]])


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_view_follows_a_later_update_of_its_array(name):
    view = VIEWS[name]

    def f(x0):
        z = np.zeros((3, 3)) + W
        v = view(z)
        z -= x0 * W
        z[0, 1] = np.sin(x0)
        return np.sum(v * v * np.arange(v.size).reshape(v.shape))

    for x0 in (0.3, -1.2):
        assert srcad.grad(f, mode="tape")(x0) == pytest.approx(fd_grad(f, x0), rel=1e-7)


def write_through_flip_and_rot90(x):
    z = np.zeros((3, 3))
    np.flip(z, axis=0)[0] = x  # the last row of z
    r = np.rot90(z)
    r[0, 1] = x[0] * x[1]
    return np.sum(z * W) + np.sum(r[:, 2] ** 2)


def test_writes_through_views_reach_the_array():
    x = np.array([0.4, -0.8, 1.3])
    np.testing.assert_allclose(
        srcad.grad(write_through_flip_and_rot90, mode="tape")(x),
        fd_grad(write_through_flip_and_rot90, x),
        rtol=1e-7,
        atol=1e-9,
    )


def diagonal_kept(x0):
    z = np.zeros((3, 3)) + W
    d = np.diagonal(z)
    z -= x0
    return np.sum(d * z)


def split_piece_kept(x0):
    z = np.zeros(6)
    p = np.split(z, 3)[1]
    z[2] = x0
    return np.sum(p) * x0


@pytest.mark.parametrize("fn, what", [(diagonal_kept, "diagonal"), (split_piece_kept, "split")])
def test_write_after_an_untracked_view_is_refused(fn, what):
    with pytest.raises(RuntimeError, match=rf"np\.{what}\(\.\.\.\) returned a view"):
        srcad.grad(fn, mode="tape")(0.7)


def test_untracked_view_gone_before_the_write_is_fine():
    def f(x0):
        z = np.zeros((3, 3)) + W
        s = np.sum(np.diagonal(z))  # the copy is a temporary, gone at once
        z -= x0
        return s * np.sum(z * z)

    assert srcad.grad(f, mode="tape")(0.7) == pytest.approx(fd_grad(f, 0.7), rel=1e-7)


LIBRARY = {"asarray": np.asarray}  # NumPy's own function, not the one srcad gives f


def test_recorded_write_into_memory_a_plain_array_shares_is_refused():
    def f(x0):
        z = np.zeros(3)
        plain = LIBRARY["asarray"](z)  # shares z's memory, as in NumPy
        z[1] = x0
        return np.sum(plain * plain)

    with pytest.raises(RuntimeError, match="a plain NumPy array shares this array's memory"):
        srcad.grad(f, mode="tape")(0.7)


def test_plain_writes_reach_a_plain_array_sharing_memory():
    def f(x0):
        z = np.zeros(3)
        plain = LIBRARY["asarray"](z)
        z[1] = 2.0  # a plain write: NumPy's view sees it
        return np.sum(plain) * x0

    assert srcad.grad(f, mode="tape")(0.7) == pytest.approx(2.0, rel=1e-12)


def test_pytorch_style_asarray_still_shares_memory():
    import srcad as torch

    t = torch.zeros(3, dtype=torch.float64)
    a = np.asarray(t)
    x = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64, requires_grad=True)
    t.add_(x)  # torch 2.13: allowed; the array sees the new values
    np.testing.assert_allclose(a, [1.0, 2.0, 3.0])
