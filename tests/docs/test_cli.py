"""``python -m srcad show/check`` run as a user runs them, compared with the Python API.

The reference for ``show`` is ``.source`` of the same transformation made in this
process; for ``check`` it is a hand-derived gradient and a deliberately wrong rule.
"""

import importlib.util
import io
import os
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import srcad

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
QUICKSTART = os.path.join(ROOT, "examples", "quickstart.py")


def run(*args, cwd=None):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    p = subprocess.run(
        [sys.executable, "-m", "srcad", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd or ROOT,
        timeout=120,
    )
    return p.returncode, p.stdout, p.stderr


def load(path):
    spec = importlib.util.spec_from_file_location(f"m_{abs(hash(path))}", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


USER = textwrap.dedent(
    """
    import numpy as np
    import srcad


    @srcad.grad
    def decorated(x):
        s = 0.0
        for i in range(3):
            s = s + np.sin(x[i]) * x[i]
        return s


    @srcad.value_and_grad(wrt=1)
    def scaled(a, b):
        c = a * b
        return np.sum(c ** 2)


    def plain(w, x):
        p = np.tanh(x * w)
        return np.sum(p * p)


    def refused(x):
        try:
            y = x * 2
        except ValueError:
            y = x
        return np.sum(y)


    def cube(x):
        return x ** 3


    @srcad.adjoint(cube)
    def _(result, x):
        d[x] = d[result] * 2.0 * x   # wrong on purpose: the derivative is 3 x**2


    def uses_cube(x):
        return np.sum(cube(x))


    def vector(x):
        return x * 2.0
    """
)


@pytest.fixture(scope="module")
def user_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "user_funcs.py"
    path.write_text(USER)
    return str(path)


@pytest.fixture(scope="module")
def user_mod(user_file):
    return load(user_file)


# -- show --------------------------------------------------------------------------------


def test_show_quickstart_prints_the_generated_code():
    rc, out, err = run("show", "examples/quickstart.py")
    assert rc == 0, err
    expected = srcad.grad(load(QUICKSTART).loss).source
    assert out == expected
    assert "# Grad of: p = np.tanh(x @ w)" in out


def test_show_function_with_options(user_file, user_mod):
    rc, out, err = run("show", f"{user_file}:plain", "--wrt", "1", "--no-optimize")
    assert rc == 0, err
    assert out == srcad.grad(user_mod.plain, wrt=1, optimize=False).source
    assert out != srcad.grad(user_mod.plain, wrt=1).source  # the optimizer does change it


@pytest.mark.parametrize("mode,transform", [("forward", "jvp"), ("vjp", "vjp")])
def test_show_modes(user_file, user_mod, mode, transform):
    rc, out, err = run("show", f"{user_file}:plain", "--mode", mode, "--wrt", "w,x")
    assert rc == 0, err
    assert out == getattr(srcad, transform)(user_mod.plain, wrt=("w", "x")).source


def test_show_decorated_function_keeps_its_own_wrt(user_file, user_mod):
    rc, out, err = run("show", f"{user_file}:scaled")
    assert rc == 0, err
    assert out == user_mod.scaled.source
    assert "def dscaled_db" in out


def test_show_whole_file_lists_what_it_transforms(user_file, user_mod):
    rc, out, err = run("show", user_file)
    assert rc == 0, err
    assert user_mod.decorated.source in out
    assert user_mod.scaled.source in out
    assert "plain" not in out  # not transformed by the file


def test_side_by_side_pairs_user_lines_with_their_code(user_mod):
    rc, out, err = run("show", f"{QUICKSTART}:loss", "--side-by-side")
    assert rc == 0, err
    src = srcad.grad(load(QUICKSTART).loss).source.rstrip("\n").splitlines()
    left, right = zip(*(line.split(" | ", 1) for line in out.rstrip("\n").splitlines()))
    assert list(right) == src  # every generated line, in order
    label = None
    labels = {}
    for lt, rt in zip(left, right):
        label = lt.strip() or label
        labels[rt.strip()] = label
    assert labels["p = np.tanh(x_matmul_w)"].endswith("p = np.tanh(x @ w)")
    assert labels["x_matmul_w = x @ w"].endswith("p = np.tanh(x @ w)")
    assert labels["loss = np.mean(p_minus_y_pow_2)"].endswith("return np.mean((p - y) ** 2)")
    # an adjoint block sits beside the user line its comment names
    assert labels["dx_matmul_w = dp * (1.0 - p * p)"].endswith("p = np.tanh(x @ w)")
    assert labels["dp = _rt.unbroadcast(dp_minus_y, p)"].endswith("return np.mean((p - y) ** 2)")


def test_side_by_side_loop(user_file, user_mod):
    rc, out, err = run("show", f"{user_file}:decorated", "--side-by-side")
    assert rc == 0, err
    right = [line.split(" | ", 1)[1] for line in out.rstrip("\n").splitlines()]
    assert right == user_mod.decorated.source.rstrip("\n").splitlines()
    comments = [line for line in out.splitlines() if "# Grad of: s = s + " in line]
    assert comments and all("s = s + np.sin(x[i]) * x[i]" in c.split(" | ")[0] for c in comments)


def test_show_plain_output_when_piped():
    rc, out, _ = run("show", "examples/quickstart.py")
    assert "\x1b[" not in out  # no terminal colours in a pipe


# -- errors ------------------------------------------------------------------------------


def test_missing_file():
    rc, out, err = run("show", "no/such/file.py")
    assert rc == 2 and "no such file" in err and "Traceback" not in err


def test_missing_function(user_file):
    rc, out, err = run("show", f"{user_file}:nope")
    assert rc == 2 and "has no function 'nope'" in err and "plain" in err


def test_refused_function_reports_unsupported_error(user_file):
    rc, out, err = run("show", f"{user_file}:refused")
    assert rc == 1
    assert "`try` statements are not supported" in err and "Instead:" in err
    assert "Traceback" not in err


def test_file_that_fails_to_import(tmp_path):
    bad = tmp_path / "broken.py"
    bad.write_text("import numpy as np\nraise RuntimeError('boom')\n")
    rc, out, err = run("show", str(bad))
    assert rc == 1 and "RuntimeError: boom" in err and "Traceback" not in err


def test_check_needs_a_function(user_file):
    rc, out, err = run("check", user_file)
    assert rc == 2 and "FILE:FUNCTION" in err


def test_bad_shape_option(user_file):
    rc, out, err = run("check", f"{user_file}:plain", "--shape", "q=3")
    assert rc == 2 and "no parameter 'q'" in err


# -- check -------------------------------------------------------------------------------


def table(out):
    lines = out.strip().splitlines()
    k = next(i for i, line in enumerate(lines) if line.startswith("parameter"))
    rows = {}
    for line in lines[k + 2 :]:
        name, abs_err, rel_err, ok = line.split()
        rows[name] = (float(abs_err), float(rel_err), ok)
    return rows


def test_check_passes_on_a_correct_gradient(user_file):
    rc, out, err = run("check", f"{user_file}:plain", "--shape", "w=scalar", "--shape", "x=4")
    assert rc == 0, err
    rows = table(out)
    assert set(rows) == {"w", "x"}
    assert all(ok == "yes" and a < 1e-6 for a, _, ok in rows.values())


def test_check_catches_a_wrong_rule(user_file):
    rc, out, err = run("check", f"{user_file}:uses_cube", "--seed", "3")
    assert rc == 1
    abs_err, rel_err, ok = table(out)["x"]
    assert ok == "NO"
    # the rule gives 2x instead of 3x**2: the error is max |3x**2 - 2x| at the inputs
    x = np.random.default_rng(3).standard_normal(3)
    assert abs_err == pytest.approx(np.max(np.abs(3 * x**2 - 2 * x)), rel=1e-3)


def test_check_reports_a_non_scalar_function(user_file):
    rc, out, err = run("check", f"{user_file}:vector")
    assert rc == 1 and "vjp" in err and "Traceback" not in err


def test_side_by_side_vjp_shows_both_functions(user_file, user_mod):
    rc, out, err = run("show", f"{user_file}:plain", "--mode", "vjp", "--side-by-side")
    assert rc == 0, err
    right = [line.split(" | ", 1)[1] for line in out.rstrip("\n").splitlines()]
    assert right == srcad.vjp(user_mod.plain).source.rstrip("\n").splitlines()
    defs = [line for line in out.splitlines() if " | def " in line]
    assert len(defs) == 2 and all("def plain(w, x):" in d.split(" | ")[0] for d in defs)


def test_highlight_only_on_a_terminal():
    pytest.importorskip("pygments", reason="highlighting needs pygments")
    from srcad.cli import highlight

    class Tty(io.StringIO):
        def isatty(self):
            return True

    code = "def f(x):\n    return x\n"
    assert highlight(code, io.StringIO()) == code
    coloured = highlight(code, Tty())
    assert "\x1b[" in coloured and re.sub(r"\x1b\[[0-9;]*m", "", coloured) == code


def test_check_with_fixed_values_and_defaults(tmp_path):
    f = tmp_path / "loops.py"
    f.write_text(
        "import numpy as np\n\n\n"
        "def power_sum(x, n, scale=2.0):\n"
        "    s = 0.0\n"
        "    for i in range(n):\n"
        "        s = s + scale * x[i] ** 3\n"
        "    return s\n"
    )
    rc, out, err = run("check", f"{f}:power_sum", "--value", "n=2", "--shape", "x=4")
    assert rc == 0, err
    assert "n=2" in out and "scale=2.0" in out
    assert set(table(out)) == {"x"}
    rc, out, err = run("check", f"{f}:power_sum", "--value", "n=oops")
    assert rc == 2 and "not a Python literal" in err
