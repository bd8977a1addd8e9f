"""``Optimizer``: parameter groups, per-parameter state, ``zero_grad`` and ``step``."""

from collections import defaultdict

import numpy as np

from ..tape.device import owned_copy, writeable, xp_of
from ..tape.grad_mode import no_grad
from ..tape.tensor import Tensor, raw, wrap

__all__ = ["Optimizer", "required"]


class _Required:
    def __repr__(self):
        return "<required parameter>"


required = _Required()


class Optimizer:
    """Base class: holds ``param_groups`` (dicts of hyper-parameters with ``"params"``)
    and ``state`` (a dict per parameter).  Subclasses implement :meth:`step`.
    """

    def __init__(self, params, defaults):
        self.defaults = defaults
        self.state = defaultdict(dict)
        self.param_groups = []
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or "
                f"dicts, but got {type(params).__name__}"
            )
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group):
        """Add a group of parameters, filling missing hyper-parameters from the defaults."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the "
                "ordering of tensors in sets will change between runs. Please use a list "
                "instead."
            )
        else:
            params = list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(
                    "optimizer can only optimize Tensors, but one of the params is "
                    f"{type(p).__module__}.{type(p).__name__}"
                )
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        group = dict(param_group, params=params)
        for name, default in self.defaults.items():
            if default is required and name not in group:
                raise ValueError(
                    "parameter group didn't specify a value of required optimization "
                    f"parameter {name}"
                )
            group.setdefault(name, default)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def zero_grad(self, set_to_none=True):
        """Reset every parameter's ``.grad`` (to ``None`` by default, as PyTorch 2)."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    g = p.grad
                    if g.grad_fn is not None:
                        g.detach_()
                    else:
                        g.requires_grad_(False)
                    g.zero_()

    def step(self, closure=None):  # pragma: no cover - abstract
        raise NotImplementedError

    def _closure_loss(self, closure):
        if closure is None:
            return None
        from ..tape.grad_mode import enable_grad  # noqa: PLC0415

        with enable_grad():
            return closure()

    def state_dict(self):
        """``{"state": {index: ...}, "param_groups": [...]}`` with parameters as indices."""
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            ids = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                ids.append(index[id(p)])
            packed["params"] = ids
            groups.append(packed)
        state = {index[id(p)]: dict(s) for p, s in self.state.items() if id(p) in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        by_index = {}
        for mine, saved in zip(self.param_groups, groups):
            if len(mine["params"]) != len(saved["params"]):
                raise ValueError(
                    "loaded state dict contains a parameter group that doesn't match the size "
                    "of optimizer's group"
                )
            for p, i in zip(mine["params"], saved["params"]):
                by_index[i] = p
            mine.update({k: v for k, v in saved.items() if k != "params"})
        self.state = defaultdict(dict)
        for i, s in state_dict["state"].items():
            if i in by_index:
                self.state[by_index[i]] = {
                    k: (v.clone() if isinstance(v, Tensor) else v) for k, v in s.items()
                }

    def __repr__(self):
        out = type(self).__name__ + " ("
        for i, group in enumerate(self.param_groups):
            out += f"\nParameter Group {i}\n"
            for key in sorted(group):
                if key != "params":
                    out += f"    {key}: {group[key]}\n"
        return out + ")"

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)


def _apply_update(p, new):
    """Write the array ``new`` into parameter ``p`` in place (bumps its version)."""
    with no_grad():
        p.copy_(wrap(_as_array(new, p)))


def _as_array(value, like):
    """``value`` as a real array of ``like``'s dtype, never a NumPy scalar.

    NumPy returns scalars (``np.float32``), not 0-d arrays, from arithmetic on 0-d
    arrays; a scalar is a copy, so ``buf *= m`` on it would rebind a local name and
    leave the optimizer state untouched.  Every state buffer therefore goes through
    here and is updated only with :func:`_write`.
    """
    ref = raw(like)
    xp = xp_of(ref)
    return xp.asarray(value, dtype=ref.dtype)


def _buffer(array):
    """A state buffer: a tensor owning a copy of ``array`` (always a real array)."""
    return wrap(owned_copy(_as_array(array, array)))


def _zeros_like(p):
    """A zero state buffer shaped and typed like parameter ``p``."""
    ref = raw(p)
    return wrap(xp_of(ref).zeros_like(ref))


def _write(buf, value):
    """Store ``value`` into the state tensor ``buf`` in place (users holding it see it).

    A buffer that cannot be written (a NumPy scalar from 0-d arithmetic in a loaded
    state dict, a read-only array) gets a fresh owned array instead.
    """
    data = buf._data
    if isinstance(data, np.generic) or not writeable(data):
        buf._data = owned_copy(xp_of(data).asarray(value, dtype=data.dtype))
    else:
        data[...] = value
    buf._vc[0] += 1


def _step_tensor():
    """The ``step`` counter PyTorch keeps per parameter: a float32 0-d tensor."""
    return wrap(np.zeros((), dtype=np.float32))


def _bump_step(state):
    """Add one to ``state["step"]`` and return the new count as a Python float."""
    step = state["step"]
    if isinstance(step, Tensor):
        _write(step, step._data + 1)
        return float(step._data)
    state["step"] = step + 1
    return float(state["step"])
