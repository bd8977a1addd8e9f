"""srcad's tape against PyTorch: every scenario in scenarios.py runs on both.

PyTorch 2.13.0 (CPU) is the oracle (``pip install torch==2.13.0``). Without it this
module is skipped; without srcad's tape it fails, which is how progress shows.
Run: ``python -m pytest tests/tape -q`` (``-m "not slow"`` leaves out the long run).
"""

import pytest

torch = pytest.importorskip(
    "torch", reason="PyTorch is the oracle of the tape tests: pip install torch==2.13.0"
)

import srcad  # noqa: E402

from .scenarios import SCENARIOS  # noqa: E402

ORACLE_VERSION = "2.13."


def _param(name, fn):
    marks = []
    if getattr(fn, "slow", False):
        marks.append(pytest.mark.slow)
    if getattr(fn, "optional", False):
        marks.append(pytest.mark.xfail(reason="optional in PYTORCH_SEMANTICS.md", strict=False))
    return pytest.param(fn, id=name, marks=marks)


@pytest.fixture(autouse=True)
def _fresh_grad_mode():
    """A scenario that fails half-way must not leave grad mode off for the next one."""
    yield
    torch.set_grad_enabled(True)
    setter = getattr(srcad, "set_grad_enabled", None)
    if setter is not None:
        try:
            setter(True)
        except Exception:  # noqa: BLE001 - the tape may be incomplete
            pass


def test_oracle_version():
    assert torch.__version__.startswith(ORACLE_VERSION), (
        f"the scenarios were checked against torch {ORACLE_VERSION}x, this is {torch.__version__}"
    )


def test_scenario_registry():
    assert len(SCENARIOS) >= 130
    assert all(callable(fn) for fn in SCENARIOS.values())


@pytest.mark.parametrize("scenario", [_param(n, f) for n, f in SCENARIOS.items()])
def test_matches_pytorch(scenario, assert_same):
    expected = scenario(torch)
    actual = scenario(srcad)
    assert_same(expected, actual, *getattr(scenario, "tolerance", ()))
