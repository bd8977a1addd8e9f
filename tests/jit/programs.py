"""A generated family of scalar-loop programs for the jit tests.

Design note.  Every choice is one hypothesis draw (simplest first, so failures
shrink).  Values stay tame: division only by ``1.5 + cos(.)`` (at least 0.5),
``exp`` only of a sine, and the running sum ``s`` is damped in every update, so
central finite differences in float64 are accurate to about 1e-8.  Branches test
the loop counter or the differentiated ``a`` against a constant; the tests skip
points within 1e-3 of such a kink.
"""

from hypothesis import strategies as st

LEAVES = ("a", "b", "s", "0.1 * i", "0.7")
UNARY = (
    "math.sin({})",
    "math.cos({})",
    "math.tanh({})",
    "math.exp(math.sin({}))",
    "np.sin({})",
)
BINARY = ("({} + {})", "({} - {})", "({} * {})", "({} / (1.5 + math.cos({})))")
UPDATES = ("0.5 * s + {}", "s - 0.3 * {}", "s * math.tanh({})", "s + 0.1 * {}")
CONDS = ("i % 2 == 0", "i > 2", "a > 0.3")


@st.composite
def expressions(draw, depth=2):
    kind = draw(st.integers(0, 2)) if depth > 0 else 0
    if kind == 0:
        return draw(st.sampled_from(LEAVES))
    if kind == 1:
        return draw(st.sampled_from(UNARY)).format(draw(expressions(depth - 1)))
    op = draw(st.sampled_from(BINARY))
    return op.format(draw(expressions(depth - 1)), draw(expressions(depth - 1)))


@st.composite
def scalar_programs(draw):
    """``(source, kinks)``: a function ``f(a, b, n)`` and the values of ``a`` where
    it has a kink."""
    n_loops = draw(st.integers(1, 2))
    lines = ["def f(a, b, n):", f"    s = {draw(st.sampled_from(('0.0', 'a', '0.5 * b')))}"]
    kinks = []
    for _ in range(n_loops):
        lines.append(f"    for i in range({draw(st.sampled_from(('n', '3', '1, n')))}):")
        lines.append(f"        t = {draw(expressions())}")
        upd = draw(st.sampled_from(UPDATES)).format("t")
        if draw(st.booleans()):
            cond = draw(st.sampled_from(CONDS))
            if cond == "a > 0.3":
                kinks.append(0.3)
            other = draw(st.sampled_from(UPDATES)).format(draw(expressions(1)))
            lines += [f"        if {cond}:", f"            s = {upd}", "        else:"]
            lines.append(f"            s = {other}")
        else:
            lines.append(f"        s = {upd}")
    lines.append(f"    return {draw(st.sampled_from(('s', 's * b', 's + math.sin(a)')))}")
    return "\n".join(lines) + "\n", kinks
