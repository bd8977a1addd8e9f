"""The source srcad differentiates is the code that runs (issue 10, item 1)."""

import importlib
import linecache
import sys
import textwrap
import warnings

import numpy as np
import pytest

import srcad

X = np.array([0.5, 1.5])


@pytest.fixture
def module_file(tmp_path, monkeypatch):
    """Write a module, import it, and hand back (module, path)."""
    monkeypatch.syspath_prepend(str(tmp_path))
    made = []

    def make(name, text):
        path = tmp_path / f"{name}.py"
        path.write_text(textwrap.dedent(text))
        mod = importlib.import_module(name)
        made.append(name)
        return mod, path

    yield make
    for name in made:
        sys.modules.pop(name, None)


def _rewrite(path, text):
    import os

    path.write_text(textwrap.dedent(text))
    st = os.stat(path)
    os.utime(path, (st.st_atime + 5, st.st_mtime + 5))  # a visible change for linecache
    linecache.checkcache(str(path))


def test_file_edited_after_import_is_refused(module_file):
    mod, path = module_file(
        "srcad_edit_a",
        """
        import numpy as np

        def f(x):
            return np.sum(x ** 2)
        """,
    )
    _rewrite(
        path,
        """
        import numpy as np

        def f(x):
            return np.sum(x ** 3)
        """,
    )
    with pytest.raises(srcad.UnsupportedError, match="not the code that runs"):
        srcad.grad(mod.f, mode="source")(X)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        g = srcad.grad(mod.f)(X)  # auto: the tape runs the code that runs
    np.testing.assert_allclose(g, 2 * X)
    assert [w.category for w in caught] == [srcad.FallbackWarning]


def test_lines_shifted_after_import_never_give_another_function(module_file):
    mod, path = module_file(
        "srcad_edit_b",
        """
        import numpy as np

        def f(x):
            return np.sum(x ** 2)

        def g(x):
            return np.sum(np.sin(x))
        """,
    )
    _rewrite(
        path,
        """
        import numpy as np

        def g(x):
            return np.sum(np.sin(x))

        def f(x):
            return np.sum(x ** 2)
        """,
    )
    for fn, want in ((mod.f, 2 * X), (mod.g, np.cos(X))):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", srcad.FallbackWarning)
            np.testing.assert_allclose(srcad.grad(fn)(X), want)


def test_misleading_filename_is_refused(tmp_path):
    real = tmp_path / "real.py"
    real.write_text("import numpy as np\n\ndef f(x):\n    return np.sum(x ** 2)\n")
    ns = {"np": np}
    code = "import numpy as np\n\ndef f(x):\n    return np.sum(np.exp(x))\n"
    exec(compile(code, str(real), "exec"), ns)
    with pytest.raises(srcad.UnsupportedError, match="not the code that runs"):
        srcad.grad(ns["f"], mode="source")(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", srcad.FallbackWarning)
        np.testing.assert_allclose(srcad.grad(ns["f"])(X), np.exp(X))


def test_exec_code_without_a_file_is_refused():
    ns = {"np": np}
    exec("def f(x):\n    return np.sum(np.exp(x))\n", ns)
    with pytest.raises(srcad.UnsupportedError, match="no source text"):
        srcad.grad(ns["f"], mode="source")(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", srcad.FallbackWarning)
        np.testing.assert_allclose(srcad.grad(ns["f"])(X), np.exp(X))


def test_code_registered_in_linecache_is_accepted():
    # how notebooks work: the cell's text sits in linecache under the code's filename
    text = "def f(x):\n    return np.sum(np.exp(x))\n"
    name = "<srcad-test-cell-1>"
    linecache.cache[name] = (len(text), None, text.splitlines(True), name)
    ns = {"np": np}
    exec(compile(text, name, "exec"), ns)
    g = srcad.grad(ns["f"], mode="source")
    np.testing.assert_allclose(g(X), np.exp(X))
    # the same name, different text: refused
    linecache.cache[name] = (len(text), None, [text.replace("exp", "sin")], name)
    ns2 = {"np": np}
    exec(compile(text.replace("exp", "cos"), name, "exec"), ns2)
    with pytest.raises(srcad.UnsupportedError):
        srcad.grad(ns2["f"], mode="source")(X)
    del linecache.cache[name]


def test_replaced_code_object_is_what_is_differentiated():
    def f(x):
        return np.sum(x**2)

    def g(x):
        return np.sum(np.sin(x))

    f.__code__ = g.__code__
    np.testing.assert_allclose(srcad.grad(f, mode="source")(X), np.cos(X))


def test_method_with_private_name_and_super():
    class Base:
        def scale(self):
            return 2.0

    class Child(Base):
        __k = 3.0

        def loss(self, x):
            return super().scale() * self.__k * np.sum(x**2)

    c = Child()
    # super() without arguments and mangled names mean something else outside the
    # class: refused in source mode, right on the tape
    with pytest.raises(srcad.UnsupportedError, match="super"):
        srcad.grad(c.loss, mode="source")(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", srcad.FallbackWarning)
        np.testing.assert_allclose(srcad.grad(c.loss)(X), 12 * X)

    class Plain:
        __k = 3.0

        def loss(self, x):
            return self.__k * np.sum(x**2)

    with pytest.raises(srcad.UnsupportedError, match="private name"):
        srcad.grad(Plain().loss, mode="source")(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", srcad.FallbackWarning)
        np.testing.assert_allclose(srcad.grad(Plain().loss)(X), 6 * X)
