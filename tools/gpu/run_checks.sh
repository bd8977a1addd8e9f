#!/usr/bin/env bash
# The GPU checks, in one run (docs/cuda.md): what the machine has, the CuPy tests,
# the GPU benchmark, and random programs on CuPy arrays beside NumPy ones.
#
#   bash tools/gpu/run_checks.sh OUTDIR
#
# Writes env.txt, zero_probe.txt, cupy_tests.txt (+ cupy_junit.xml), bench_gpu.txt
# and fuzz.txt (+ fuzz_cupy.json) under OUTDIR. Wheels the machine lacks (gast and
# astor where only CuPy's own image is installed) are taken from .whl/ if it exists.
# Where there is no CuPy or no GPU, the CuPy tests skip with their reason, the
# benchmark says so, and the random programs run on the CPU stand-in instead.
set -u
OUTDIR=${1:-gpu_out}
mkdir -p "$OUTDIR"
PY=${PYTHON:-python3}
export PYTHONUNBUFFERED=1
if ls .whl/*.whl >/dev/null 2>&1; then
    $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/srcad_site .whl/*.whl && export PYTHONPATH=/tmp/srcad_site
fi
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}

{
    date -u
    nvidia-smi 2>&1 | head -20
    $PY - <<'EOF'
import sys, numpy, gast, astor
print("python", sys.version.split()[0], "numpy", numpy.__version__, "gast", gast.__version__)
try:
    import cupy
    rt = cupy.cuda.runtime
    print("cupy", cupy.__version__, "CUDA runtime", rt.runtimeGetVersion(),
          "driver", rt.driverGetVersion(), "devices", rt.getDeviceCount(),
          rt.getDeviceProperties(0)["name"].decode())
except Exception as exc:  # noqa: BLE001
    print("cupy: not usable here:", type(exc).__name__, exc)
try:
    import torch
    print("torch", torch.__version__, "cuda", torch.version.cuda, torch.cuda.is_available())
except Exception as exc:  # noqa: BLE001
    print("torch: not usable here:", type(exc).__name__, exc)
EOF
} >"$OUTDIR/env.txt" 2>&1

# How CuPy's operators treat srcad's symbolic zero (and an object with only
# __array_ufunc__ = None, to learn which rule CuPy follows).
timeout 120 $PY - >"$OUTDIR/zero_probe.txt" 2>&1 <<'EOF'
try:
    import cupy as xp
    xp.cuda.runtime.getDeviceCount()
except Exception:  # noqa: BLE001
    from srcad.testing import StrictArray
    import numpy
    class xp:
        ones = staticmethod(lambda n: StrictArray(numpy.ones(n)))
from srcad.runtime.core import ZERO

class OnlyUfuncNone:
    __array_ufunc__ = None
    def __radd__(self, other):
        return "deferred"

a = xp.ones(3)
for label, thunk in [
    ("a + ZERO", lambda: a + ZERO), ("ZERO + a", lambda: ZERO + a),
    ("a - ZERO", lambda: a - ZERO), ("a * ZERO", lambda: a * ZERO),
    ("a + OnlyUfuncNone()", lambda: a + OnlyUfuncNone()),
]:
    try:
        r = thunk()
        print(f"{label}: {type(r).__name__} {r!r}")
    except Exception as exc:  # noqa: BLE001
        print(f"{label}: raised {type(exc).__name__}: {exc}")
EOF

XDIST=""
$PY -c "import xdist" 2>/dev/null && XDIST="-n 8"  # eight processes share the GPU
$PY -c "import pytest_timeout" 2>/dev/null && XDIST="$XDIST --timeout 120"
timeout 300 $PY -m pytest tests/test_cupy.py -rs -q -p no:cacheprovider $XDIST \
    --junitxml="$OUTDIR/cupy_junit.xml" >"$OUTDIR/cupy_tests.txt" 2>&1
echo "pytest exit $?" >>"$OUTDIR/cupy_tests.txt"

timeout 150 $PY benchmarks/bench_gpu.py --source >"$OUTDIR/bench_gpu.txt" 2>&1
echo "bench exit $?" >>"$OUTDIR/bench_gpu.txt"

BACKEND=strict
$PY -c "import cupy; assert cupy.cuda.runtime.getDeviceCount()" 2>/dev/null && BACKEND=cupy
timeout 130 $PY -m tests.fuzz.device --backend $BACKEND --n ${FUZZ_N:-400} --seed 1 \
    --time-limit ${FUZZ_SECONDS:-100} --out "$OUTDIR" >"$OUTDIR/fuzz.txt" 2>&1
echo "fuzz exit $?" >>"$OUTDIR/fuzz.txt"
