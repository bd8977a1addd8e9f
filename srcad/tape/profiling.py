"""The tape's side of the profiler: a switch the op wrappers and the engine read.

``srcad.autograd.profiler.profile`` turns it on; while it is on, every public op call
(and every node the backward engine runs) becomes an event: a name, a start and end
time, its nesting depth and, with ``record_shapes``, its tensor arguments' shapes.
"""

import functools
import time

ACTIVE = [None]  # the recording profile, or None


def now_us():
    return time.perf_counter_ns() / 1000.0


class Span:
    """Open an event on entry, close it on exit (a no-op when nothing records)."""

    __slots__ = ("name", "shapes", "rec", "ev")

    def __init__(self, name, shapes=None):
        self.name, self.shapes, self.rec, self.ev = name, shapes, ACTIVE[0], None

    def __enter__(self):
        if self.rec is not None:
            self.ev = self.rec.open(self.name, self.shapes)
        return self

    def __exit__(self, *exc):
        if self.ev is not None:
            self.rec.close(self.ev)
        return False


def _shapes(args):
    out = []
    for a in args:
        shape = getattr(a, "shape", None)
        out.append(list(shape) if shape is not None and not isinstance(a, type) else [])
    return out


def timed(fn, name):
    """``fn`` reporting each call as the event ``name`` while a profile records."""

    @functools.wraps(fn)
    def op(*args, **kwargs):
        rec = ACTIVE[0]
        if rec is None:
            return fn(*args, **kwargs)
        ev = rec.open(name, _shapes(args) if rec.record_shapes else [])
        try:
            return fn(*args, **kwargs)
        finally:
            rec.close(ev)

    op.__srcad_profiled__ = fn
    return op
