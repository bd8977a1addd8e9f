"""``Conv2d`` and ``Conv1d``."""

import math

from ... import empty
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["Conv2d", "Conv1d"]


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


class Conv2d(Module):
    """2-D convolution over ``(N, C, H, W)`` inputs, ``weight (out, in, kh, kw)``.

    ``stride`` and ``padding`` (an int, a pair, ``"valid"`` or ``"same"``) as in
    PyTorch; one ``ConvolutionBackward0`` node per call.
    """

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups=1,
        bias=True,
        padding_mode="zeros",
        device=None,
        dtype=None,
    ):
        super().__init__()
        if groups != 1 or _pair(dilation) != (1, 1) or padding_mode != "zeros":
            raise NotImplementedError(
                "srcad: Conv2d supports groups=1, dilation=1 and padding_mode='zeros'"
            )
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = _pair(kernel_size)
        self.stride = _pair(stride)
        self.padding = padding if isinstance(padding, str) else _pair(padding)
        self.dilation = _pair(dilation)
        self.transposed = False
        self.output_padding = (0, 0)
        self.groups = groups
        self.padding_mode = padding_mode
        self.weight = Parameter(
            empty(out_channels, in_channels, *self.kernel_size, device=device, dtype=dtype)
        )
        if bias:
            self.bias = Parameter(empty(out_channels, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.in_channels * self.kernel_size[0] * self.kernel_size[1]
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def forward(self, input):  # noqa: A002 - PyTorch's parameter name
        return F.conv2d(input, self.weight, self.bias, self.stride, self.padding)

    def extra_repr(self):
        s = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.bias is None:
            s += ", bias=False"
        return s


class Conv1d(Module):
    """1-D convolution over ``(N, C, L)`` inputs, ``weight (out, in, k)``; computed as a
    height-1 ``conv2d``, initialised as PyTorch (``kaiming_uniform_``, ``a=sqrt(5)``)."""

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups=1,
        bias=True,
        padding_mode="zeros",
        device=None,
        dtype=None,
    ):
        super().__init__()
        single = lambda v: (v,) if isinstance(v, int) else tuple(v)
        if groups != 1 or single(dilation) != (1,) or padding_mode != "zeros":
            raise NotImplementedError(
                "srcad: Conv1d supports groups=1, dilation=1 and padding_mode='zeros'"
            )
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = single(kernel_size)
        self.stride = single(stride)
        self.padding = padding if isinstance(padding, str) else single(padding)
        self.dilation = single(dilation)
        self.transposed = False
        self.output_padding = (0,)
        self.groups = groups
        self.padding_mode = padding_mode
        self.weight = Parameter(
            empty(out_channels, in_channels, *self.kernel_size, device=device, dtype=dtype)
        )
        if bias:
            self.bias = Parameter(empty(out_channels, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.in_channels * self.kernel_size[0]
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def forward(self, input):  # noqa: A002 - PyTorch's parameter name
        return F.conv1d(input, self.weight, self.bias, self.stride, self.padding)

    def extra_repr(self):
        s = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if self.padding != (0,):
            s += f", padding={self.padding}"
        if self.bias is None:
            s += ", bias=False"
        return s
