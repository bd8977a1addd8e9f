"""Imports inside a NumPy program's function, on the tape.

Source mode refuses ``import`` inside a function, so ``mode="auto"`` runs such a
function on the tape.  There ``import numpy as np`` gave the real module, not the
proxy a module-level import gets: ``isinstance(x, np.ndarray)``, ``type(s) is
np.float64`` and ``isinstance(a, numbers.Real)`` were false, the other branch ran and
its gradient came back without a word (and ``math.sin`` of a differentiated value
raised).  A module that imports nothing itself was not taken for a NumPy program at
all.  The reference is central finite differences of the function run by NumPy.
"""

import warnings

import numpy
from hypothesis import given, settings
from hypothesis import strategies as st

import srcad
from srcad.testing import numerical_grad

IMPORTS = {
    "import numpy as np": "np",
    "import numpy": "numpy",
    "import numpy as xp": "xp",
    "from numpy import ndarray, float64, sum as npsum": None,
}
TESTS = [
    "isinstance(x, {np}.ndarray)",
    "type({np}.sum(x)) is {np}.float64",
    "isinstance({np}.sum(x), float)",
    "isinstance(a, numbers.Real)",
    "type(math.sin(a)) is float",
]


def _function(imp, test, module_numpy, mode):
    np_name = IMPORTS[imp]
    if np_name is None:  # names imported from numpy
        test = test.replace("{np}.sum", "npsum").replace("{np}.", "")
        total = "npsum"
    else:
        test = test.replace("{np}", np_name)
        total = f"{np_name}.sum"
    src = (
        "def f(x, a):\n"
        f"    {imp}\n"
        "    import math\n"
        "    import numbers\n"
        f"    if {test}:\n"
        f"        return {total}(x) * math.sin(a)\n"
        f"    return {total}(x * x) * a\n"
    )
    namespace = {"numpy": numpy} if module_numpy else {}
    exec(src, namespace)
    return namespace["f"], src


@settings(max_examples=80, deadline=None)
@given(
    imp=st.sampled_from(sorted(IMPORTS)),
    test=st.sampled_from(TESTS),
    module_numpy=st.booleans(),
    mode=st.sampled_from(["tape", "auto"]),
    seed=st.integers(0, 2**16),
)
def test_local_imports_take_numpys_branch(imp, test, module_numpy, mode, seed):
    rng = numpy.random.default_rng(seed)
    x = rng.uniform(0.2, 1.5, 3)
    a = float(rng.uniform(0.3, 1.2))
    f, src = _function(imp, test, module_numpy, mode)
    g = srcad.grad(f, wrt=(0, 1), mode=mode)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", srcad.FallbackWarning)  # (auto: refused, then tape)
        got = g(x, a)
    for i in (0, 1):
        numpy.testing.assert_allclose(
            numpy.asarray(got[i], float),
            numerical_grad(f, (x, a), wrt=i),
            rtol=1e-6,
            atol=1e-8,
            err_msg=src,
        )
