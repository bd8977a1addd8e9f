"""Shared helpers for the benchmark scripts: timing, environment notes, Markdown tables.

Benchmarks are not tests: nothing here asserts on a time.  Every measurement follows
the same recipe (a ``timeit``-style loop): warm up, pick a loop count so one
measurement lasts at least ``min_time`` seconds, repeat, take the median.
"""

import ctypes
import gc
import glob
import os
import platform
import statistics
import sys
import time


def measure(fn, *, min_time=0.2, repeat=5, warmup=2):
    """Median seconds per call of ``fn()``.

    ``fn`` is called ``warmup`` times first (compilation, caches), then the loop
    count is grown until one loop lasts at least ``min_time`` seconds; that loop
    count is used for ``repeat`` measurements whose median is returned.  The garbage
    collector is paused inside a loop, as ``timeit`` does.
    """
    return measure_many({None: fn}, min_time=min_time, repeat=repeat, warmup=warmup)[None]


def measure_many(fns, *, min_time=0.2, repeat=5, warmup=2):
    """``measure`` for several callables at once: ``{name: median seconds per call}``.

    The repeats are interleaved (one loop of each callable per round), so on a shared
    machine a burst of load from elsewhere hits all of them alike rather than one.  A
    callable that raises gets the exception as its value instead of a time.
    """
    numbers, times = {}, {}
    for name, fn in fns.items():
        try:
            for _ in range(warmup):
                fn()
            numbers[name], first = _calibrate(fn, min_time)
            times[name] = [first]
        except Exception as exc:  # reported by the caller, in the table
            times[name] = exc
    for _ in range(repeat - 1):
        for name, number in numbers.items():
            if isinstance(times[name], list):
                try:
                    times[name].append(_loop(fns[name], number) / number)
                except Exception as exc:
                    times[name] = exc
    return {n: statistics.median(t) if isinstance(t, list) else t for n, t in times.items()}


def _calibrate(fn, min_time):
    """A loop count that makes one loop last ``min_time``, and that loop's time per call."""
    number = 1
    while True:
        elapsed = _loop(fn, number)
        if elapsed >= min_time:
            return number, elapsed / number
        # Aim a little past min_time; at least double so tiny timings converge fast.
        guess = int(number * 1.2 * min_time / max(elapsed, 1e-9)) + 1
        number = max(2 * number, min(guess, 100 * number))


def _loop(fn, number):
    enabled = gc.isenabled()
    gc.disable()
    try:
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        return time.perf_counter() - t0
    finally:
        if enabled:
            gc.enable()


_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def pin_threads(n):
    """Make NumPy's BLAS, PyTorch and XLA use ``n`` threads (``None``: library defaults).

    BLAS reads its thread count when it is loaded, so the first call sets the
    environment variables and re-executes the script; the second call (in the new
    process) sets PyTorch's count.  XLA can only be told "one thread"
    (``--xla_cpu_multi_thread_eigen=false``), so other counts leave it alone.
    """
    if n is None:
        return
    if any(os.environ.get(v) != str(n) for v in _THREAD_VARS):
        os.environ.update({v: str(n) for v in _THREAD_VARS})
        if n == 1:
            flags = os.environ.get("XLA_FLAGS", "")
            os.environ["XLA_FLAGS"] = (flags + " --xla_cpu_multi_thread_eigen=false").strip()
        sys.stdout.flush()
        os.execv(sys.executable, [sys.executable] + sys.argv)
    try:
        import torch
    except ImportError:
        return
    torch.set_num_threads(n)


def timing_settings(quick):
    """``measure`` keyword arguments for a normal or a ``--quick`` run."""
    if quick:
        return {"min_time": 0.05, "repeat": 3, "warmup": 1}
    return {"min_time": 0.2, "repeat": 5, "warmup": 2}


def numpy_threads():
    """The number of BLAS threads NumPy uses, or a short reason why it is unknown."""
    import numpy as np

    libdir = os.path.join(os.path.dirname(np.__file__), "..", "numpy.libs")
    for path in glob.glob(os.path.join(libdir, "*openblas*")):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for symbol in (
            "scipy_openblas_get_num_threads64_",
            "openblas_get_num_threads64_",
            "openblas_get_num_threads",
        ):
            getter = getattr(lib, symbol, None)
            if getter is not None:
                return str(getter())
    return "unknown (not a bundled OpenBLAS)"


def environment(extra=()):
    """Markdown bullet lines that describe the machine and library versions."""
    import numpy as np

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    lines = [
        f"- machine: {platform.machine()}, {cores} usable cores, {platform.system()}",
        f"- Python {sys.version.split()[0]}, NumPy {np.__version__} "
        f"(BLAS threads: {numpy_threads()})",
    ]
    lines += [f"- {line}" for line in extra]
    return "\n".join(lines)


def fmt_us(seconds):
    """Seconds as microseconds with a sensible number of digits."""
    us = seconds * 1e6
    if us >= 1000:
        return f"{us:,.0f}"
    if us >= 10:
        return f"{us:.1f}"
    return f"{us:.2f}"


def fmt_ratio(r):
    return f"{r:.1f}" if r >= 10 else f"{r:.2f}"


def markdown_table(header, rows, align=None):
    """A Markdown table; ``align`` holds "l" or "r" per column (default: first left)."""
    align = align or ["l"] + ["r"] * (len(header) - 1)
    cells = [[str(c) for c in header]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]

    def line(row):
        padded = [c.ljust(w) if a == "l" else c.rjust(w) for c, w, a in zip(row, widths, align)]
        return "| " + " | ".join(padded) + " |"

    rule = ["-" * (w - 1) + ":" if a == "r" else "-" * w for w, a in zip(widths, align)]
    return "\n".join(
        [line(cells[0]), "| " + " | ".join(rule) + " |"] + [line(r) for r in cells[1:]]
    )


def short_error(exc, limit=90):
    """``TypeName: first line of the message``, cut to ``limit`` characters, table-safe."""
    text = str(exc).strip().splitlines()
    msg = f"{type(exc).__name__}: {text[0] if text else ''}".replace("|", "/")
    return msg if len(msg) <= limit else msg[: limit - 1] + "…"
