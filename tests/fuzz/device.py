"""Random programs on device arrays: the fuzzer's NumPy programs run on CuPy.

Design note. The fuzzer (tests/fuzz) checks srcad on NumPy arrays against finite
differences. This script takes the same programs (hypothesis under a fixed seed,
``tests.fuzz.gen.programs``) and asks one more question: does a program give the
same gradient on device arrays as on NumPy arrays? Only programs that run on
device arrays as plain Python are asked (a program that mixes ``np.ones(3)``, a
NumPy array, with a device array raises before srcad is involved). The NumPy gradient in source
mode is the reference (the campaigns check it against finite differences); each
program whose NumPy gradient srcad computes is run again with its arrays on the
device, in source mode and on the tape (``mode="tape"``), and the results must
come back on the device and agree to a relative 1e-7 (float64 everywhere; a GPU's
sums run in another order and its transcendental functions differ in the last
bits). A device run that raises is counted apart from a wrong number, and the
first few of each are written out with their source.

``--backend strict`` runs the same on ``srcad.testing.StrictArray`` (the CPU
stand-in that refuses implicit conversion to NumPy as CuPy does), so the script
is checked where there is no GPU; ``--backend cupy`` needs CuPy and a GPU.

    python -m tests.fuzz.device --backend cupy --n 300 --seed 1 --out DIR

tests/fuzz/test_fuzz.py runs it on the stand-in in CI, tests/test_cupy.py on a GPU.
"""

import argparse
import collections
import json
import os
import sys
import time
import traceback

import numpy as np
from hypothesis import HealthCheck, Phase, given, seed, settings

import srcad

from .check import load
from .gen import make_args, programs


def backend(name):
    """(to_device, to_host, is_device) for ``name``."""
    if name == "cupy":
        import cupy

        def is_dev(v):
            return isinstance(v, cupy.ndarray)

        return cupy.asarray, cupy.asnumpy, is_dev
    from srcad.testing import StrictArray

    def host(v):
        return v.get()

    return StrictArray, host, lambda v: isinstance(v, StrictArray)


def convert(v, fn, test):
    if test(v):
        return fn(v)
    if isinstance(v, (tuple, list)):
        return type(v)(convert(e, fn, test) for e in v)
    return v


def compare(got, want, to_host, is_dev, path="g"):
    """None when ``got`` (device) matches ``want`` (NumPy), else what differs."""
    if isinstance(want, (tuple, list)):
        if not isinstance(got, (tuple, list)) or len(got) != len(want):
            return f"{path}: structure {type(got).__name__} against {type(want).__name__}"
        for i, (a, b) in enumerate(zip(got, want)):
            bad = compare(a, b, to_host, is_dev, f"{path}[{i}]")
            if bad:
                return bad
        return None
    if isinstance(want, np.ndarray):
        if not is_dev(got):
            return f"{path}: {type(got).__name__} where a device array was expected"
        got = to_host(got)
        if got.shape != want.shape:
            return f"{path}: shape {got.shape} against {want.shape}"
    elif is_dev(got):
        got = to_host(got)
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    if not np.allclose(got, want, rtol=1e-7, atol=1e-9 * (1.0 + np.max(np.abs(want), initial=0))):
        err = np.max(np.abs(got - want), initial=0)
        return f"{path}: max abs difference {err:.3g} (reference max {np.max(np.abs(want)):.3g})"
    return None


def run(backend_name="strict", n=200, seed_=1, time_limit=120.0):
    """Check ``n`` programs; returns (counts, saved failures). Counts are keyed by a
    string ("drawn", "checked", ...) or by (mode, "same" / "raised" / "differs")."""
    to_dev, to_host, is_dev = backend(backend_name)
    counts = collections.Counter()
    saved = []
    start = time.time()

    def on_device(args):
        return convert(args, to_dev, lambda v: isinstance(v, np.ndarray))

    def record(kind, prog, mode, detail):
        counts[(mode, kind)] += 1
        if len([s for s in saved if (s["kind"], s["mode"]) == (kind, mode)]) < 5:
            saved.append(
                dict(kind=kind, mode=mode, detail=detail, source=prog.source, seed=prog.seed)
            )

    @seed(seed_)
    @settings(
        max_examples=n,
        phases=[Phase.generate],
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(programs("all"))
    def body(prog):
        if time.time() - start > time_limit:
            return
        counts["drawn"] += 1
        try:
            f = load(prog.source, prog.name)
            wrt = tuple(prog.wrt)
            want = srcad.grad(f, wrt=wrt, mode="source")(*make_args(prog))
        except Exception:  # noqa: BLE001 - refused or invalid on NumPy: not this check
            counts["host refused or invalid"] += 1
            return
        try:  # the program itself must run on device arrays (np.ones(3) is a NumPy
            f(*on_device(make_args(prog)))
        except Exception:  # noqa: BLE001 - array, and mixing it with a device one raises
            counts["program not device-neutral"] += 1
            return
        counts["checked"] += 1
        for mode in ("source", "tape"):
            try:
                got = srcad.grad(f, wrt=wrt, mode=mode)(*on_device(make_args(prog)))
            except Exception as exc:  # noqa: BLE001
                tb = traceback.format_exception(type(exc), exc, exc.__traceback__)
                record("raised", prog, mode, "".join(tb[-3:]))
                first = (str(exc).splitlines() or [""])[0][:90]
                counts[("cause", mode, f"{type(exc).__name__}: {first}")] += 1
                continue
            bad = compare(got, want, to_host, is_dev)
            if bad:
                record("differs", prog, mode, bad)
            else:
                counts[(mode, "same")] += 1

    with np.errstate(all="ignore"):
        body()
    counts["seconds"] = round(time.time() - start)
    return counts, saved


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--backend", default="strict", choices=("strict", "cupy"))
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--time-limit", type=float, default=120.0)
    ap.add_argument("--out", default=None)
    a = ap.parse_args(argv)
    counts, saved = run(a.backend, a.n, a.seed, a.time_limit)
    lines = [f"backend={a.backend} seed={a.seed} n={a.n}"]
    lines += [f"  {k if isinstance(k, str) else ' '.join(k)}: {v}" for k, v in counts.items()]
    print("\n".join(lines))
    for s in saved:
        print(f"--- {s['kind']} ({s['mode']}): {s['detail']}\n{s['source']}")
    if a.out:
        os.makedirs(a.out, exist_ok=True)
        with open(os.path.join(a.out, f"fuzz_{a.backend}.json"), "w") as fh:
            payload = dict(summary=lines, counts={str(k): v for k, v in counts.items()})
            json.dump(dict(payload, failures=saved), fh, indent=1)
    return 1 if any(isinstance(k, tuple) and k[1] == "differs" for k in counts) else 0


if __name__ == "__main__":
    sys.exit(main())
