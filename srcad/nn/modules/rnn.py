"""Recurrent layers: ``RNN``, ``LSTM``, ``GRU`` and their cells.

Each time step is composed of tape operations (``F.linear``, ``chunk``, ``sigmoid``,
``tanh``), so gradients come from existing rules.  Parameter names, shapes, gate
order and initialisation follow PyTorch:

* LSTM gates ``i, f, g, o``: ``c' = f c + i g``, ``h' = o tanh(c')``;
* GRU gates ``r, z, n``: ``n = tanh(W_in x + b_in + r (W_hn h + b_hn))``,
  ``h' = (1 - z) n + z h``;
* every weight and bias ``~ U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))``;
* per layer and direction ``weight_ih_l{k}``, ``weight_hh_l{k}``, ``bias_ih_l{k}``,
  ``bias_hh_l{k}`` (``_reverse`` for the backward direction), in that order.

Inputs are ``(L, N, H_in)`` (``(N, L, H_in)`` with ``batch_first``) or unbatched
``(L, H_in)``; outputs are ``output`` and ``h_n`` (with ``c_n`` for LSTM).
"""

import math
import warnings

from ... import empty, stack, zeros
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


def _lstm_step(x, state, w_ih, w_hh, b_ih, b_hh):
    h, c = state
    gates = F.linear(x, w_ih, b_ih) + F.linear(h, w_hh, b_hh)
    i, f, g, o = gates.chunk(4, -1)
    c = f.sigmoid() * c + i.sigmoid() * g.tanh()
    return o.sigmoid() * c.tanh(), c


def _gru_step(x, h, w_ih, w_hh, b_ih, b_hh):
    i_r, i_z, i_n = F.linear(x, w_ih, b_ih).chunk(3, -1)
    h_r, h_z, h_n = F.linear(h, w_hh, b_hh).chunk(3, -1)
    r = (i_r + h_r).sigmoid()
    z = (i_z + h_z).sigmoid()
    n = (i_n + r * h_n).tanh()
    return (1 - z) * n + z * h


def _rnn_step(nonlinearity):
    def step(x, h, w_ih, w_hh, b_ih, b_hh):
        pre = F.linear(x, w_ih, b_ih) + F.linear(h, w_hh, b_hh)
        return pre.tanh() if nonlinearity == "tanh" else pre.relu()

    return step


def _uniform_all(module, hidden_size):
    stdv = 1.0 / math.sqrt(hidden_size) if hidden_size > 0 else 0
    for w in module.parameters():
        init.uniform_(w, -stdv, stdv)


class RNNBase(Module):
    """The multi-layer, optionally bidirectional recurrence shared by RNN, LSTM, GRU."""

    def __init__(
        self,
        mode,
        input_size,
        hidden_size,
        num_layers=1,
        bias=True,
        batch_first=False,
        dropout=0.0,
        bidirectional=False,
        proj_size=0,
        device=None,
        dtype=None,
    ):
        super().__init__()
        if (
            not isinstance(dropout, (int, float))
            or isinstance(dropout, bool)
            or not 0 <= dropout <= 1
        ):
            raise ValueError(
                "dropout should be a number in range [0, 1] representing the probability of "
                "an element being zeroed"
            )
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                "dropout option adds dropout after all but last recurrent layer, so non-zero "
                "dropout expects num_layers greater than 1, but got "
                f"dropout={dropout} and num_layers={num_layers}",
                UserWarning,
                stacklevel=3,
            )
        if not isinstance(hidden_size, int) or hidden_size <= 0:
            raise ValueError("hidden_size must be an integer greater than zero")
        if not isinstance(num_layers, int) or num_layers <= 0:
            raise ValueError("num_layers must be an integer greater than zero")
        if proj_size != 0:
            raise NotImplementedError("srcad: LSTM supports proj_size=0 only")
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        gate = _GATES[mode] * hidden_size
        kw = {"device": device, "dtype": dtype}
        self._flat_weights_names = []
        for layer in range(num_layers):
            layer_in = input_size if layer == 0 else hidden_size * self._directions
            for suffix in ("", "_reverse")[: self._directions]:
                names = [f"weight_ih_l{layer}{suffix}", f"weight_hh_l{layer}{suffix}"]
                shapes = [(gate, layer_in), (gate, hidden_size)]
                if bias:
                    names += [f"bias_ih_l{layer}{suffix}", f"bias_hh_l{layer}{suffix}"]
                    shapes += [(gate,), (gate,)]
                for name, shape in zip(names, shapes):
                    setattr(self, name, Parameter(empty(*shape, **kw)))
                self._flat_weights_names.extend(names)
        self.reset_parameters()

    @property
    def _directions(self):
        return 2 if self.bidirectional else 1

    def reset_parameters(self):
        _uniform_all(self, self.hidden_size)

    def flatten_parameters(self):
        """Nothing to do: srcad keeps no fused weight buffer."""

    @property
    def all_weights(self):
        per = 4 if self.bias else 2
        names = self._flat_weights_names
        return [[getattr(self, n) for n in names[i : i + per]] for i in range(0, len(names), per)]

    def _weights(self, layer, direction):
        suffix = "_reverse" if direction else ""
        get = self._parameters.get
        return (
            get(f"weight_ih_l{layer}{suffix}"),
            get(f"weight_hh_l{layer}{suffix}"),
            get(f"bias_ih_l{layer}{suffix}"),
            get(f"bias_hh_l{layer}{suffix}"),
        )

    def _dim_error(self, ndim):
        name = type(self).__name__
        tensor = " tensor" if self.mode.startswith("RNN") else ""
        return ValueError(f"{name}: Expected input to be 2D or 3D, got {ndim}D{tensor} instead")

    def _check_hidden(self, h, expected, which="hidden"):
        if tuple(h.shape) != expected:
            raise RuntimeError(f"Expected {which} size {expected}, got {list(h.shape)}")

    def _step(self):
        if self.mode == "LSTM":
            return _lstm_step
        if self.mode == "GRU":
            return _gru_step
        return _rnn_step("tanh" if self.mode == "RNN_TANH" else "relu")

    def forward(self, input, hx=None):  # noqa: A002 - PyTorch's parameter name
        lstm = self.mode == "LSTM"
        if input.ndim not in (2, 3):
            raise self._dim_error(input.ndim)
        batched = input.ndim == 3
        if not batched:
            input = input.unsqueeze(1)
        elif self.batch_first:
            input = input.transpose(0, 1)
        if input.shape[-1] != self.input_size:
            raise RuntimeError(
                f"input.size(-1) must be equal to input_size. Expected {self.input_size}, "
                f"got {input.shape[-1]}"
            )
        n = input.shape[1]
        shape = (self.num_layers * self._directions, n, self.hidden_size)
        h0, c0 = self._initial_state(hx, input, shape, batched, lstm)
        output, h_n, c_n = self._run(input, h0, c0)
        if not batched:
            output = output.squeeze(1)
            h_n = h_n.squeeze(1)
            c_n = c_n.squeeze(1) if lstm else None
        elif self.batch_first:
            output = output.transpose(0, 1)
        return (output, (h_n, c_n)) if lstm else (output, h_n)

    def _initial_state(self, hx, input, shape, batched, lstm):  # noqa: A002
        if hx is None:
            h0 = zeros(*shape, dtype=input.dtype, device=input.device)
            return h0, (zeros(*shape, dtype=input.dtype, device=input.device) if lstm else None)
        if lstm:
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise RuntimeError("LSTM expects hx to be a tuple (h_0, c_0)")
            h0, c0 = hx
        else:
            h0, c0 = hx, None
        want = 3 if batched else 2
        for t in (h0, c0) if lstm else (h0,):
            if t.ndim != want:
                kind = "batched" if batched else "unbatched"
                raise RuntimeError(
                    f"For {kind} {want}-D input, hx{' and cx' if lstm else ''} should also be "
                    f"{want}-D but got ({t.ndim}-D) tensor"
                )
        if not batched:
            h0 = h0.unsqueeze(1)
            c0 = c0.unsqueeze(1) if lstm else None
        self._check_hidden(h0, shape)
        if lstm:
            self._check_hidden(c0, shape, "hidden[1]")
        return h0, c0

    def _run(self, x, h0, c0):
        step = self._step()
        lstm = c0 is not None
        finals_h, finals_c = [], []
        for layer in range(self.num_layers):
            outs = []
            for direction in range(self._directions):
                k = layer * self._directions + direction
                state = (h0[k], c0[k]) if lstm else h0[k]
                weights = self._weights(layer, direction)
                times = range(x.shape[0] - 1, -1, -1) if direction else range(x.shape[0])
                seq = [None] * x.shape[0]
                for t in times:
                    state = step(x[t], state, *weights)
                    seq[t] = state[0] if lstm else state
                outs.append(stack(seq, 0))
                finals_h.append(state[0] if lstm else state)
                if lstm:
                    finals_c.append(state[1])
            x = outs[0] if len(outs) == 1 else _cat(outs, -1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True)
        return x, stack(finals_h, 0), (stack(finals_c, 0) if lstm else None)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s


def _cat(tensors, dim):
    from ... import cat  # noqa: PLC0415

    return cat(tensors, dim)


class RNN(RNNBase):
    """Elman RNN: ``h' = tanh(W_ih x + b_ih + W_hh h + b_hh)`` (or ``relu``)."""

    def __init__(self, *args, **kwargs):
        nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if len(args) > 3:
            nonlinearity = args[3]
            args = args[:3] + args[4:]
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(
                f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'."
            )
        self.nonlinearity = nonlinearity
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", *args, **kwargs)


class LSTM(RNNBase):
    """Long short-term memory; ``forward`` returns ``output, (h_n, c_n)``."""

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)


class GRU(RNNBase):
    """Gated recurrent unit; ``forward`` returns ``output, h_n``."""

    def __init__(self, *args, **kwargs):
        super().__init__("GRU", *args, **kwargs)


class RNNCellBase(Module):
    """One time step: ``weight_ih (G*H, in)``, ``weight_hh (G*H, H)``, biases ``(G*H,)``."""

    _gates = 1

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        kw = {"device": device, "dtype": dtype}
        gate = self._gates * hidden_size
        self.weight_ih = Parameter(empty(gate, input_size, **kw))
        self.weight_hh = Parameter(empty(gate, hidden_size, **kw))
        if bias:
            self.bias_ih = Parameter(empty(gate, **kw))
            self.bias_hh = Parameter(empty(gate, **kw))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self):
        _uniform_all(self, self.hidden_size)

    def _prepare(self, input, hx, n_states):  # noqa: A002
        name = type(self).__name__
        if input.ndim not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.ndim}D instead")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(
                f"input has inconsistent input_size: got {input.shape[-1]} expected "
                f"{self.input_size}"
            )
        batched = input.ndim == 2
        if not batched:
            input = input.unsqueeze(0)
        n = input.shape[0]
        if hx is None:
            states = [
                zeros(n, self.hidden_size, dtype=input.dtype, device=input.device)
                for _ in range(n_states)
            ]
        else:
            states = list(hx) if n_states == 2 else [hx]
            if not batched:
                states = [s.unsqueeze(0) for s in states]
            for i, s in enumerate(states):
                if s.shape[0] != n:
                    raise RuntimeError(
                        f"Input batch size {n} doesn't match hidden{i} batch size {s.shape[0]}"
                    )
                if s.shape[1] != self.hidden_size:
                    raise RuntimeError(
                        f"hidden{i} has inconsistent hidden_size: got {s.shape[1]}, expected "
                        f"{self.hidden_size}"
                    )
        return input, states, batched

    def _weights(self):
        return self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        nl = getattr(self, "nonlinearity", "tanh")
        if nl != "tanh":
            s += f", nonlinearity={nl}"
        return s


class RNNCell(RNNCellBase):
    """``h' = tanh(W_ih x + b_ih + W_hh h + b_hh)`` (or ``relu``)."""

    def __init__(
        self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None
    ):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity: {nonlinearity}")
        super().__init__(input_size, hidden_size, bias, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):  # noqa: A002
        x, (h,), batched = self._prepare(input, hx, 1)
        out = _rnn_step(self.nonlinearity)(x, h, *self._weights())
        return out if batched else out.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step; returns ``(h', c')``."""

    _gates = 4

    def forward(self, input, hx=None):  # noqa: A002
        x, (h, c), batched = self._prepare(input, hx, 2)
        h, c = _lstm_step(x, (h, c), *self._weights())
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step; returns ``h'``."""

    _gates = 3

    def forward(self, input, hx=None):  # noqa: A002
        x, (h,), batched = self._prepare(input, hx, 1)
        out = _gru_step(x, h, *self._weights())
        return out if batched else out.squeeze(0)
