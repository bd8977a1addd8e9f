"""``torch.autograd.profiler``: which ops ran, how often, and for how long.

While a :class:`profile` is active, the public ops (``srcad.*`` functions, ``Tensor``
methods and operators, ``srcad.nn.functional``) are wrapped with timers and the
backward engine reports each node it runs, so nested calls nest as in PyTorch
(``aten::linear`` holds ``aten::t`` and ``aten::addmm``).  The wrappers are removed on
exit.  Times are wall-clock microseconds on the CPU; there are no CUDA events.

Example::

    with srcad.autograd.profiler.profile() as prof:
        y = (x @ x).relu().sum()
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=10))
"""

import importlib
import json

from ..tape import profiling as _p

__all__ = ["EventList", "FunctionEvent", "FunctionEventAvg", "profile", "record_function"]


class FunctionEvent:
    """One call: its name, start and end (microseconds), children and input shapes."""

    def __init__(self, name, start, depth, input_shapes, parent):
        self.name, self.key = name, name
        self.time_range_start, self.time_range_end = start, start
        self.depth, self.input_shapes, self.cpu_parent = depth, input_shapes, parent
        self.cpu_children = []
        self.count = 1

    @property
    def cpu_time_total(self):
        return self.time_range_end - self.time_range_start

    @property
    def self_cpu_time_total(self):
        return self.cpu_time_total - sum(c.cpu_time_total for c in self.cpu_children)

    @property
    def cpu_time(self):
        return self.cpu_time_total

    def __repr__(self):
        return (
            f"<FunctionEvent name={self.name} cpu_time={_fmt(self.cpu_time_total)} "
            f"input_shapes={self.input_shapes}>"
        )


class FunctionEventAvg:
    """The events that share a key (and, if asked, input shapes), summed."""

    def __init__(self, key, input_shapes=None):
        self.key, self.input_shapes = key, input_shapes
        self.count, self.cpu_time_total, self.self_cpu_time_total = 0, 0.0, 0.0

    def add(self, ev):
        self.count += ev.count
        self.cpu_time_total += ev.cpu_time_total
        self.self_cpu_time_total += ev.self_cpu_time_total
        return self

    @property
    def cpu_time(self):
        return self.cpu_time_total / self.count if self.count else 0.0

    def __repr__(self):
        return (
            f"<FunctionEventAvg key={self.key} self_cpu_time={_fmt(self.self_cpu_time_total)} "
            f"cpu_time={_fmt(self.cpu_time)} input_shapes={self.input_shapes}>"
        )


def _fmt(us):
    if us >= 1e6:
        return f"{us / 1e6:.3f}s"
    if us >= 1e3:
        return f"{us / 1e3:.3f}ms"
    return f"{us:.3f}us"


_SORT_KEYS = {
    "cpu_time": "cpu_time",
    "cpu_time_total": "cpu_time_total",
    "self_cpu_time_total": "self_cpu_time_total",
    "count": "count",
}


class EventList(list):
    """A list of events with PyTorch's ``table()``."""

    def __init__(self, events=(), show_shapes=False):
        super().__init__(events)
        self._show_shapes = show_shapes

    @property
    def self_cpu_time_total(self):
        return sum(e.self_cpu_time_total for e in self)

    def table(
        self,
        sort_by=None,
        row_limit=100,
        max_src_column_width=75,
        max_name_column_width=55,
        max_shapes_column_width=80,
        header=None,
        top_level_events_only=False,
    ):
        """The events as a text table, like PyTorch's (sorted by ``sort_by`` descending;
        a key this profiler has no column for, such as a CUDA time, keeps the order)."""
        rows = list(self)
        if top_level_events_only:
            rows = [e for e in rows if getattr(e, "depth", 0) == 0]
        attr = _SORT_KEYS.get(sort_by)
        if attr is not None:
            rows.sort(key=lambda e: getattr(e, attr), reverse=True)
        if row_limit is not None and row_limit >= 0:
            rows = rows[:row_limit]
        total = self.self_cpu_time_total or 1.0
        name_w = max_name_column_width
        cols = ["Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg", "# of Calls"]
        widths = [name_w] + [12] * len(cols)
        if self._show_shapes:
            cols.append("Input Shapes")
            widths.append(min(max_shapes_column_width, 28))
        line = "  ".join("-" * w for w in widths) + "  "
        out = [line]
        if header:
            out.insert(0, header)
        out.append("  ".join(h.rjust(w) for h, w in zip(["Name", *cols], widths)) + "  ")
        out.append(line)
        for e in rows:
            name = e.key if len(e.key) <= name_w else e.key[: name_w - 3] + "..."
            cells = [
                name,
                f"{100 * e.self_cpu_time_total / total:.2f}%",
                _fmt(e.self_cpu_time_total),
                f"{100 * e.cpu_time_total / total:.2f}%",
                _fmt(e.cpu_time_total),
                _fmt(e.cpu_time_total / e.count if e.count else 0.0),
                str(e.count),
            ]
            if self._show_shapes:
                cells.append(str(e.input_shapes)[: widths[-1]])
            out.append("  ".join(c.rjust(w) for c, w in zip(cells, widths)) + "  ")
        out.append(line)
        out.append(f"Self CPU time total: {_fmt(self.self_cpu_time_total)}")
        return "\n".join(out) + "\n"

    def __str__(self):
        return self.table()


class profile:  # noqa: N801 - PyTorch's name
    """Record op calls and their CPU times while active (a context manager).

    Accepts PyTorch's options; ``record_shapes`` keeps each call's tensor shapes, the
    CUDA and memory options have nothing to record here.
    """

    def __init__(
        self,
        enabled=True,
        *,
        use_cuda=False,
        use_device=None,
        record_shapes=False,
        with_flops=False,
        profile_memory=False,
        with_stack=False,
        with_modules=False,
        use_kineto=True,
        use_cpu=True,
        experimental_config=None,
        acc_events=False,
        custom_trace_id_callback=None,
    ):
        self.enabled = enabled
        self.record_shapes = record_shapes
        self.function_events = EventList() if enabled else None
        self._stack = []
        self._patches = []
        self._prev = None

    # -- recording (called by the wrappers, the engine and record_function) ------------

    def open(self, name, shapes):
        parent = self._stack[-1] if self._stack else None
        ev = FunctionEvent(name, _p.now_us(), len(self._stack), shapes or [], parent)
        if parent is not None:
            parent.cpu_children.append(ev)
        self._stack.append(ev)
        self.function_events.append(ev)
        return ev

    def close(self, ev):
        ev.time_range_end = _p.now_us()
        while self._stack:
            if self._stack.pop() is ev:
                break

    # -- the context manager -----------------------------------------------------------

    def __enter__(self):
        if not self.enabled:
            return None  # as PyTorch's: ``with profile(enabled=False) as p`` binds None
        if _p.ACTIVE[0] is not None:
            raise RuntimeError("Profiler is already enabled on this thread")
        self._patches = _install_wrappers()
        self._prev, _p.ACTIVE[0] = _p.ACTIVE[0], self
        return self

    def __exit__(self, *exc):
        if not self.enabled:
            return False
        _p.ACTIVE[0] = self._prev
        for owner, name, original in reversed(self._patches):
            setattr(owner, name, original)
        self._patches = []
        return False

    # -- results -----------------------------------------------------------------------

    def key_averages(
        self, group_by_input_shape=False, group_by_stack_n=0, group_by_overload_name=False
    ):
        """One row per op name (and input shapes, if asked), in first-call order."""
        groups = {}
        for ev in self.function_events:
            key = (ev.key, str(ev.input_shapes)) if group_by_input_shape else ev.key
            if key not in groups:
                groups[key] = FunctionEventAvg(ev.key, ev.input_shapes)
            groups[key].add(ev)
        return EventList(groups.values(), show_shapes=group_by_input_shape)

    def total_average(self):
        avg = FunctionEventAvg("Total")
        for ev in self.function_events:
            avg.add(ev)
        return avg

    def events(self):
        return self.function_events

    @property
    def self_cpu_time_total(self):
        return sum(e.self_cpu_time_total for e in self.function_events)

    def table(self, *args, **kwargs):
        return self.key_averages().table(*args, **kwargs)

    def export_chrome_trace(self, path):
        """Write the events in the Chrome trace format (``chrome://tracing``)."""
        trace = [
            {
                "name": e.name,
                "ph": "X",
                "ts": e.time_range_start,
                "dur": e.cpu_time_total,
                "pid": 0,
                "tid": 0,
                "args": {"Input Dims": e.input_shapes},
            }
            for e in self.function_events
        ]
        with open(path, "w") as f:
            json.dump({"traceEvents": trace}, f)

    def __str__(self):
        return self.table()


class record_function:  # noqa: N801 - PyTorch's name
    """Label a block (``with record_function("step"):``) or a function (as a decorator)
    in the active profile."""

    def __init__(self, name, args=None):
        self.name = name
        self._span = None

    def __enter__(self):
        self._span = _p.Span(self.name).__enter__()
        return self

    def __exit__(self, *exc):
        self._span.__exit__(*exc)
        return False

    def __call__(self, fn):
        import functools  # noqa: PLC0415

        @functools.wraps(fn)
        def wrapped(*args, **kwargs):
            with record_function(self.name):
                return fn(*args, **kwargs)

        return wrapped


# --------------------------------------------------------------------------------------
# Which functions get timers


def _op_name(name):
    if name.startswith("__") and name.endswith("__"):
        core = name[2:-2]
        if core.startswith("i") and core[1:] in _INPLACE_DUNDERS:
            return f"aten::{core[1:]}_"
        if core.startswith("r") and core[1:] in _REFLECTED:
            core = core[1:]
        return f"aten::{_DUNDER_OPS.get(core, core)}"
    return f"aten::{name}"


_INPLACE_DUNDERS = {"add", "sub", "mul", "truediv", "pow"}
_REFLECTED = {"add", "sub", "mul", "truediv", "pow", "matmul", "floordiv", "and", "or"}
_DUNDER_OPS = {
    "truediv": "div",
    "floordiv": "floor_divide",
    "getitem": "index",
    "setitem": "index_put_",
    "neg": "neg",
    "invert": "bitwise_not",
    "and": "bitwise_and",
    "or": "bitwise_or",
    "xor": "bitwise_xor",
    "mod": "remainder",
}
_TIMED_DUNDERS = {
    "__add__", "__radd__", "__iadd__", "__sub__", "__rsub__", "__isub__", "__mul__",
    "__rmul__", "__imul__", "__truediv__", "__rtruediv__", "__itruediv__", "__pow__",
    "__rpow__", "__matmul__", "__rmatmul__", "__neg__", "__getitem__", "__setitem__",
    "__mod__", "__floordiv__",
}  # fmt: skip


def _candidates():
    import srcad  # noqa: PLC0415

    from ..nn import functional as F  # noqa: PLC0415
    from ..tape import api as _api  # noqa: PLC0415

    _install = importlib.import_module("srcad.tape.ops.install")
    from ..tape.tensor import Tensor  # noqa: PLC0415

    for name in _api.__all__:
        yield srcad, name
    for name in list(_install._METHODS) + sorted(_TIMED_DUNDERS):
        yield Tensor, name
    for name in F.__all__:
        yield F, name


def _install_wrappers():
    """Wrap the public ops where users reach them (``srcad.*``, ``Tensor``, ``F``) and
    where ops reach each other (the op modules' globals), so calls nest."""
    import sys  # noqa: PLC0415

    patches, wrappers = [], {}
    for owner, name in _candidates():
        fn = owner.__dict__.get(name)
        if not callable(fn) or isinstance(fn, type) or hasattr(fn, "__srcad_profiled__"):
            continue
        if not hasattr(fn, "__code__") and not hasattr(fn, "__wrapped__"):
            continue
        key = id(fn)
        if key not in wrappers:
            wrappers[key] = (fn, _p.timed(fn, _op_name(name)))
        patches.append((owner, name, fn))
        setattr(owner, name, wrappers[key][1])
    for mod_name, mod in list(sys.modules.items()):
        if not mod_name.startswith(("srcad.tape.ops.", "srcad.nn.functional")):
            continue
        for name, value in list(vars(mod).items()):
            hit = wrappers.get(id(value))
            if hit is not None and hit[0] is value:
                patches.append((mod, name, value))
                setattr(mod, name, hit[1])
    return patches
