"""Eight threads, shared and fresh transformations, functions that write into their
arguments: every result right, the caller's arrays unchanged (issue 10, item 5)."""

import threading

import numpy as np

import srcad


def mutating(x, w):
    x[0] = x[0] * 2.0  # writes into its argument
    x += w
    return np.sum(np.sin(x) * w)


def expected(x, w):
    z = x.copy()
    z[0] *= 2.0
    z += w
    g = np.cos(z) * w
    g[0] *= 2.0
    return g


def test_eight_threads_shared_and_fresh():
    shared = srcad.grad(mutating, mode="source")
    shared_tape = srcad.grad(mutating, mode="tape")
    errors, bad = [], []
    x_shared = np.linspace(0.1, 0.9, 16)
    x0 = x_shared.copy()

    def work(seed):
        rng = np.random.default_rng(seed)
        try:
            for i in range(60):
                w = rng.normal(size=16)
                mine = rng.normal(size=16)
                mine0 = mine.copy()
                x = x_shared if i % 2 else mine
                want = expected(x, w)
                for g in (shared, shared_tape, srcad.grad(mutating)):
                    got = g(x, w)
                    if not np.allclose(got, want, rtol=1e-12, atol=1e-12):
                        bad.append((seed, i))
                if not np.array_equal(mine, mine0):
                    bad.append(("changed", seed, i))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(s,)) for s in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:3]
    assert not bad, bad[:5]
    np.testing.assert_array_equal(x_shared, x0)


def test_threads_building_one_transformation_at_once():
    def f(x):
        return np.sum(np.tanh(x) ** 2)

    srcad.clear_cache()
    x = np.linspace(-1, 1, 5)
    want = 2 * np.tanh(x) * (1 - np.tanh(x) ** 2)
    out, errors = [], []

    def work():
        try:
            out.append(srcad.grad(f, mode="source")(x))
        except Exception as exc:  # pragma: no cover
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(out) == 8
    for g in out:
        np.testing.assert_allclose(g, want, rtol=1e-12)
