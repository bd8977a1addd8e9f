"""Caches that follow the program (issue 10, item 3): keyed on code, validated per call,
bounded, weak, and emptied by srcad.clear_cache()."""

import gc
import importlib
import sys
import textwrap
import tracemalloc
import weakref

import numpy as np
import pytest

import srcad
from srcad.compiler import cache

X = np.array([0.5, -1.0, 2.0])


def helper(v):
    return v * 2.0


def top(v):
    return np.sum(helper(v) ** 2)


SCALE = 2.0


def uses_global(v):
    return np.sum(v * SCALE)


def test_redefined_helper_gives_a_new_gradient():
    global helper
    np.testing.assert_allclose(srcad.grad(top, mode="source")(X), 8 * X)
    g = srcad.grad(top, mode="source")
    old = helper
    try:

        def helper(v):  # a notebook cell run again
            return v * 3.0

        np.testing.assert_allclose(g(X), 18 * X)  # the same transformation object
        np.testing.assert_allclose(srcad.grad(top, mode="source")(X), 18 * X)
    finally:
        helper = old
    np.testing.assert_allclose(g(X), 8 * X)


def test_rebound_global_is_read_at_call_time():
    global SCALE
    g = srcad.grad(uses_global, mode="source")
    np.testing.assert_allclose(g(X), 2.0 * np.ones(3))
    SCALE = 5.0
    try:
        np.testing.assert_allclose(g(X), 5.0 * np.ones(3))
    finally:
        SCALE = 2.0


def plain_norm(v):
    return np.sqrt(np.sum(v**2))


def calls_plain_norm(v):
    return 3.0 * plain_norm(v)


def test_rule_registered_after_first_use():
    x = np.array([3.0, 4.0])
    np.testing.assert_allclose(srcad.grad(calls_plain_norm, mode="source")(x), 3 * x / 5)
    from srcad.rules import registry

    @srcad.adjoint(plain_norm)
    def _(result, v):
        d[v] = d[result] * v  # noqa: F821 - deliberately not the true derivative

    try:
        np.testing.assert_allclose(srcad.grad(calls_plain_norm, mode="source")(x), 3 * x)
        np.testing.assert_allclose(srcad.grad(calls_plain_norm, mode="tape")(x), 3 * x)
    finally:
        registry._RULES.pop(registry._key(plain_norm), None)
        registry.VERSION[0] += 1
    np.testing.assert_allclose(srcad.grad(calls_plain_norm, mode="source")(x), 3 * x / 5)


def make_loss(target):
    def loss(w):
        return np.sum((w - target) ** 2)

    return loss


def test_fresh_closure_per_step_reuses_one_transformation():
    w = np.zeros(3)
    make_loss(X)  # warm
    srcad.grad(make_loss(X))(w)
    before = cache.builds()
    for step in range(50):
        target = X * step
        g = srcad.grad(make_loss(target))(w)
        np.testing.assert_allclose(g, 2 * (w - target))  # the cell's value, never a stale one
    assert cache.builds() == before


def test_closures_of_one_def_with_different_functions_do_not_share():
    def make(act):
        def f(x):
            return np.sum(act(x))

        return f

    np.testing.assert_allclose(srcad.grad(make(np.sin), mode="source")(X), np.cos(X))
    np.testing.assert_allclose(srcad.grad(make(np.exp), mode="source")(X), np.exp(X))


def test_late_bound_cell_is_read_at_call_time():
    k = 1.0

    def f(x):
        return k * np.sum(x**2)

    g = srcad.grad(f, mode="source")
    np.testing.assert_allclose(g(X), 2 * X)
    k = 4.0
    np.testing.assert_allclose(g(X), 8 * X)


def test_clear_cache():
    srcad.grad(top)(X)
    assert cache.size() > 0
    srcad.clear_cache()
    assert cache.size() == 0
    before = cache.builds()
    np.testing.assert_allclose(srcad.grad(top)(X), 8 * X)
    assert cache.builds() == before + 1


def test_dropped_transformations_free_memory():
    def run(n):
        fns = [make_loss(X + i) for i in range(n)]
        refs = [weakref.ref(f) for f in fns]
        gs = [srcad.grad(f) for f in fns]
        for g in gs:
            g(X)
        del fns, gs
        gc.collect()
        return refs

    run(50)  # warm every lazy table
    gc.collect()
    tracemalloc.start()
    try:
        base, _ = tracemalloc.get_traced_memory()
        refs = run(2000)
        after, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert all(r() is None for r in refs)  # nothing keeps the user's functions alive
    assert after - base < 200_000, (after - base, peak - base)


@pytest.fixture
def many_functions(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    body = "import numpy as np\n" + "".join(
        textwrap.dedent(
            f"""
            def f{i}(x):
                return np.sum(np.sin(x) * {i + 1}.0)
            """
        )
        for i in range(120)
    )
    (tmp_path / "srcad_many_fns.py").write_text(body)
    yield "srcad_many_fns"
    sys.modules.pop("srcad_many_fns", None)


def test_distinct_functions_dropped_leave_the_cache(many_functions):
    start = cache.size()
    mod = importlib.import_module(many_functions)
    fns = [getattr(mod, f"f{i}") for i in range(120)]
    for i, f in enumerate(fns[:5]):
        np.testing.assert_allclose(srcad.grad(f, mode="source")(X), (i + 1) * np.cos(X))
    for f in fns[5:]:
        srcad.grad(f, mode="source")(X)
    assert cache.size() >= start + 120 or cache.size() == cache.MAX_ENTRIES
    refs = [weakref.ref(f.__code__) for f in fns]
    del fns, f, mod
    sys.modules.pop(many_functions, None)
    gc.collect()
    assert all(r() is None for r in refs)
    assert cache.size() <= start


def _cell(name, text, ns):
    """Define functions from ``text`` the way a notebook does (source in linecache)."""
    import linecache

    linecache.cache[name] = (len(text), None, text.splitlines(True), name)
    exec(compile(text, name, "exec"), ns)
    return ns


def test_cache_is_bounded(monkeypatch):
    monkeypatch.setattr(cache, "MAX_ENTRIES", 3)
    ns = {"np": np}
    for k in range(6):
        _cell(f"<srcad-bounded-{k}>", f"def f{k}(x):\n    return np.sum(x * {k}.0)\n", ns)
    for k in range(6):
        np.testing.assert_allclose(srcad.grad(ns[f"f{k}"], mode="source")(X), k * np.ones(3))
    assert ns["__srcad_cache__"].table.__len__() <= 3


def test_cached_closure_keeps_no_captured_data_alive():
    class Big:
        pass

    def make(data):
        def loss(w):
            return np.sum(w * data.value)

        return loss

    data = Big()
    data.value = 2.0
    ref = weakref.ref(data)
    np.testing.assert_allclose(srcad.grad(make(data), mode="source")(X), 2.0 * np.ones(3))
    del data
    gc.collect()
    assert ref() is None


def test_helper_closure_rebound_late_is_seen():
    k = 1.0

    def helper(v):
        return k * v

    def f(v):
        return np.sum(helper(v))

    g = srcad.grad(f, mode="source")
    np.testing.assert_allclose(g(X), np.ones(3))
    k = 5.0
    np.testing.assert_allclose(g(X), 5.0 * np.ones(3))


class Config:
    pass


CFG = Config()
CFG.act = np.sin


def uses_attribute_function(v):
    return np.sum(CFG.act(v))


def test_attribute_rebound_on_the_same_object_is_seen():
    g = srcad.grad(uses_attribute_function, mode="source")
    np.testing.assert_allclose(g(X), np.cos(X))
    CFG.act = np.exp
    try:
        np.testing.assert_allclose(g(X), np.exp(X))
    finally:
        CFG.act = np.sin


class Net:
    def __init__(self):
        self.act = np.tanh

    def loss(self, v):
        return np.sum(self.act(v))


def test_method_attribute_rebound_is_seen():
    n = Net()
    g = srcad.grad(n.loss, mode="source")
    np.testing.assert_allclose(g(X), 1 - np.tanh(X) ** 2)
    n.act = np.sin
    np.testing.assert_allclose(g(X), np.cos(X))
