"""Python the compiler cannot take: ``mode="source"`` raises ``srcad.UnsupportedError``.

The error carries ``.filename`` and ``.lineno`` of the offending line (marked
``# <- unsupported`` below), quotes that line in its message and says what to
do instead.  No input may make the compiler fail with an internal exception
(``KeyError``, ``AttributeError``, ...), nor with srcad's catch-all "the
compiler failed" report, which points at the ``def`` line instead.

The ``test_auto_falls_back_to_tape_*`` tests need the tape engine: with
``mode="auto"`` the same functions run on the tape, with one
``srcad.FallbackWarning``.
"""

import inspect
import math
import warnings

import numpy as np
import pytest

import srcad
from srcad.testing import assert_grad_close, numerical_grad

MARK = "# <- unsupported"
X = np.array([0.5, -1.0, 1.5, -0.7])


def _marked_line(f):
    """Line number and text of the line carrying the marker in ``f``'s source."""
    lines, first = inspect.getsourcelines(f)
    for offset, line in enumerate(lines):
        if MARK in line:
            return first + offset, line.split("#")[0].strip()
    raise AssertionError(f"{f.__name__} has no {MARK!r} marker")


def _line_of(f, text):
    lines, first = inspect.getsourcelines(f)
    return first + next(j for j, line in enumerate(lines) if text in line)


def _def_line(f):
    lines, first = inspect.getsourcelines(f)
    for offset, line in enumerate(lines):
        if line.lstrip().startswith(("def ", "async def ")):
            return first + offset
    return first


# ---------------------------------------------------------------------------
# The functions

_COUNTER = 0


def uses_global(x):
    global _COUNTER  # <- unsupported
    _COUNTER = _COUNTER + 1
    return np.sum(x * x)


def _make_nonlocal():
    calls = 0

    def uses_nonlocal(x):
        nonlocal calls  # <- unsupported
        calls = calls + 1
        return np.sum(x * x)

    return uses_nonlocal


uses_nonlocal = _make_nonlocal()


def generator_function(x):
    for t in x:
        yield t * t  # <- unsupported


def yield_from_function(x):
    yield from x  # <- unsupported


def _squares(v):
    for t in v:
        yield t * t  # <- unsupported


def calls_a_generator(x):
    return sum(_squares(x))


def lambda_passed_on(x):
    scale = lambda t: t * x  # the lambda escapes into a call srcad has no rule for
    return np.sum(np.apply_along_axis(scale, 0, x))  # <- unsupported


def try_except(x):
    try:  # <- unsupported
        y = np.sqrt(x * x + 1.0)
    except ValueError:
        y = x
    return np.sum(y)


def try_finally(x):
    y = x
    try:  # <- unsupported
        y = x * 3.0
    finally:
        y = y + 1.0
    return np.sum(y * y)


async def async_function(x):  # <- unsupported
    return np.sum(x)


def class_inside(x):
    class Box:  # <- unsupported
        scale = 2.0

    return np.sum(x * Box.scale)


def uses_eval(x):
    y = eval("x * 2.0")  # <- unsupported
    return np.sum(y)


def uses_exec(x):
    exec("print('side effect')")  # <- unsupported
    return np.sum(x * x)


def del_active(x):
    y = x * 2.0
    z = y * y
    del y  # <- unsupported
    return np.sum(z)


def star_parameters(*xs):  # <- unsupported
    return np.sum(xs[0] * xs[0])


def _three(p, q, r):
    return p * q * r


def star_call(lst):
    return _three(*lst)  # <- unsupported


def sort_in_place(x):
    y = x * 2.0
    y.sort()  # <- unsupported
    return np.sum(y * x)


def numpy_without_rule(x):
    return np.sum(np.abs(np.fft.fft(x)))  # <- unsupported


def other_context_manager(x):
    with warnings.catch_warnings():  # <- unsupported
        y = x * 2.0
    return np.sum(y)


CASES = [
    # (function, also accept the def line as the place, arguments)
    (uses_global, False, (X,)),
    (uses_nonlocal, False, (X,)),
    (generator_function, True, (X,)),
    (yield_from_function, True, (X,)),
    (calls_a_generator, False, (X,)),
    (lambda_passed_on, False, (X,)),
    (try_except, False, (X,)),
    (try_finally, False, (X,)),
    (async_function, True, (X,)),
    (class_inside, False, (X,)),
    (uses_eval, False, (X,)),
    (uses_exec, False, (X,)),
    (del_active, False, (X,)),
    (star_parameters, True, (X,)),
    (star_call, False, ([0.5, 1.0, 1.5],)),
    (sort_in_place, False, (X,)),
    (numpy_without_rule, False, (X,)),
    (other_context_manager, False, (X,)),
]


def _has_rule(prim):
    from srcad.rules import lookup

    rule = lookup(prim)
    return rule is not None and (rule.adjoint is not None or rule.nondiff)


def _raises_unsupported(f, args):
    with pytest.raises(srcad.UnsupportedError) as info:
        g = srcad.grad(f, mode="source")
        g(*args)
    return info.value


# ---------------------------------------------------------------------------
# The tests


@pytest.mark.parametrize("f, def_ok, args", [pytest.param(*c, id=c[0].__name__) for c in CASES])
def test_unsupported_construct_is_reported(f, def_ok, args):
    if f is numpy_without_rule and _has_rule(np.fft.fft):
        pytest.skip("np.fft.fft has a rule now")
    err = _raises_unsupported(f, args)
    message = str(err)
    assert "compiler failed" not in message, f"an internal error, not a refusal:\n{message}"
    where = _squares if f is calls_a_generator else f
    lineno, code = _marked_line(where)
    places = {lineno, _def_line(where)} if def_ok else {lineno}
    if f is calls_a_generator:  # reported inside the helper, or at the call
        places |= {_def_line(_squares), _line_of(calls_a_generator, "_squares(x)")}
    assert err.filename == inspect.getsourcefile(where), err.filename
    assert err.lineno in places, f"reported line {err.lineno}, expected one of {places}"
    if err.lineno == lineno:
        assert code in message, f"the message should quote {code!r}:\n{message}"
    assert "instead" in message.lower(), f"the message should say what to do:\n{message}"


def test_builtin_without_source():
    # a ufunc or builtin with a rule is differentiated through it (issue 10);
    # one without a derivative is refused in source mode
    for f in (math.sin, np.sin):
        assert srcad.grad(f, mode="source")(0.5) == pytest.approx(math.cos(0.5))
    with pytest.raises(srcad.UnsupportedError) as info:
        srcad.grad(len, mode="source")(0.5)
    assert "instead" in str(info.value).lower()


def test_function_defined_by_exec_has_no_source():
    namespace = {"np": np}
    exec("def made_by_exec(x):\n    return np.sum(x * x)\n", namespace)
    with pytest.raises(srcad.UnsupportedError) as info:
        srcad.grad(namespace["made_by_exec"], mode="source")(X)
    assert "compiler failed" not in str(info.value)


def test_error_is_a_srcad_error():
    err = _raises_unsupported(uses_global, (X,))
    assert isinstance(err, srcad.SrcadError)
    assert err.lineno == _marked_line(uses_global)[0]


# ---------------------------------------------------------------------------
# mode="auto": fall back to the tape (needs the tape engine)


def _fallback(f, args, expected):
    g = srcad.grad(f, mode="auto")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        d1 = g(*args)
        d2 = g(*args)
    fallbacks = [w for w in caught if issubclass(w.category, srcad.FallbackWarning)]
    assert len(fallbacks) == 1, f"expected one FallbackWarning, got {len(fallbacks)}"
    assert g.mode == "tape"
    assert g.fallback_reason
    assert g.__wrapped__ is f
    assert type(d1) is type(args[0]) and d1.shape == args[0].shape
    assert_grad_close(d1, expected, rtol=1e-5, atol=1e-7)
    assert_grad_close(d2, expected, rtol=1e-5, atol=1e-7)


def test_auto_falls_back_to_tape_try_except():
    _fallback(try_except, (X,), numerical_grad(try_except, (X,)))


def test_auto_falls_back_to_tape_global():
    _fallback(uses_global, (X,), 2.0 * X)


def test_auto_falls_back_to_tape_del():
    _fallback(del_active, (X,), 8.0 * X)


def test_source_mode_does_not_fall_back():
    with warnings.catch_warnings():
        warnings.simplefilter("error", srcad.FallbackWarning)
        _raises_unsupported(try_except, (X,))
