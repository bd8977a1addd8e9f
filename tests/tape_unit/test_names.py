"""grad_fn names and next_functions, as PyTorch 2.13 prints them (table generated once
from torch and pasted here; ``x`` and ``w`` require grad, ``c`` does not)."""

# ruff: noqa: E501  (expected strings printed by PyTorch, kept verbatim)

import pytest

import srcad as torch

ROWS = {
    "x ** 2": ("PowBackward0", ("torch::autograd::AccumulateGrad",)),
    "x + 1": ("AddBackward0", ("torch::autograd::AccumulateGrad", None)),
    "1 - x": ("RsubBackward1", ("torch::autograd::AccumulateGrad",)),
    "2 ** x": ("PowBackward2", ("torch::autograd::AccumulateGrad",)),
    "x ** x": (
        "PowBackward1",
        ("torch::autograd::AccumulateGrad", "torch::autograd::AccumulateGrad"),
    ),
    "x.clamp(0, 1)": ("ClampBackward1", ("torch::autograd::AccumulateGrad",)),
    "torch.where(x > 1, x, c)": ("WhereBackward0", ("torch::autograd::AccumulateGrad", None)),
    "torch.cat([x, c, x])": (
        "CatBackward0",
        ("torch::autograd::AccumulateGrad", None, "torch::autograd::AccumulateGrad"),
    ),
    "torch.stack([x, c])": ("StackBackward0", ("torch::autograd::AccumulateGrad", None)),
    "1 / x": ("MulBackward0", ("ReciprocalBackward0", None)),
    "c / x": ("DivBackward0", (None, "torch::autograd::AccumulateGrad")),
    "w.sum(0)": ("SumBackward1", ("torch::autograd::AccumulateGrad",)),
    "w.mean()": ("MeanBackward0", ("torch::autograd::AccumulateGrad",)),
    "w.max()": ("MaxBackward1", ("torch::autograd::AccumulateGrad",)),
    "w.max(0).values": ("MaxBackward0", ("torch::autograd::AccumulateGrad",)),
    "w.mm(w)": (
        "MmBackward0",
        ("torch::autograd::AccumulateGrad", "torch::autograd::AccumulateGrad"),
    ),
    "w @ x": (
        "MvBackward0",
        ("torch::autograd::AccumulateGrad", "torch::autograd::AccumulateGrad"),
    ),
    "x @ x": (
        "DotBackward0",
        ("torch::autograd::AccumulateGrad", "torch::autograd::AccumulateGrad"),
    ),
    "w.t()": ("TBackward0", ("torch::autograd::AccumulateGrad",)),
    "w.T": ("PermuteBackward0", ("torch::autograd::AccumulateGrad",)),
    "w.transpose(0, 1)": ("TransposeBackward0", ("torch::autograd::AccumulateGrad",)),
    "w.view(4)": ("ViewBackward0", ("torch::autograd::AccumulateGrad",)),
    "w.t().reshape(4)": ("UnsafeViewBackward0", ("CloneBackward0",)),
    "w.view(1, 4).squeeze(0)": ("SqueezeBackward1", ("ViewBackward0",)),
    "x.unsqueeze(0)": ("UnsqueezeBackward0", ("torch::autograd::AccumulateGrad",)),
    "x.expand(3, 2)": ("ExpandBackward0", ("torch::autograd::AccumulateGrad",)),
    "w[0]": ("SelectBackward0", ("torch::autograd::AccumulateGrad",)),
    "w[:, 1:]": ("SliceBackward0", ("torch::autograd::AccumulateGrad",)),
    "w[0, 1:]": ("SliceBackward0", ("SelectBackward0",)),
    "w[None]": ("UnsqueezeBackward0", ("torch::autograd::AccumulateGrad",)),
    "x[[0, 1]]": ("IndexBackward0", ("torch::autograd::AccumulateGrad",)),
    "w[:, :]": ("AliasBackward0", ("torch::autograd::AccumulateGrad",)),
    "x.clone()": ("CloneBackward0", ("torch::autograd::AccumulateGrad",)),
    "x.double()": ("ToCopyBackward0", ("torch::autograd::AccumulateGrad",)),
    "torch.maximum(x, c)": ("MaximumBackward0", ("torch::autograd::AccumulateGrad", None)),
    "w.t().contiguous()": ("CloneBackward0", ("TBackward0",)),
    "x.pow(c)": ("PowBackward1", ("torch::autograd::AccumulateGrad", None)),
    "x * True": ("MulBackward0", ("torch::autograd::AccumulateGrad", None)),
    "x.abs()": ("AbsBackward0", ("torch::autograd::AccumulateGrad",)),
    "x.relu()": ("ReluBackward0", ("torch::autograd::AccumulateGrad",)),
    "x.sigmoid()": ("SigmoidBackward0", ("torch::autograd::AccumulateGrad",)),
    "-x": ("NegBackward0", ("torch::autograd::AccumulateGrad",)),
    "c - x": ("SubBackward0", (None, "torch::autograd::AccumulateGrad")),
    "w.amax(1)": ("AmaxBackward0", ("torch::autograd::AccumulateGrad",)),
    "w.softmax(1)": ("SoftmaxBackward0", ("torch::autograd::AccumulateGrad",)),
    "w.logsumexp(1)": ("LogsumexpBackward0", ("torch::autograd::AccumulateGrad",)),
    "w.var(1)": ("VarBackward0", ("torch::autograd::AccumulateGrad",)),
    "w.norm()": ("LinalgVectorNormBackward0", ("torch::autograd::AccumulateGrad",)),
    "w.cumsum(0)": ("CumsumBackward0", ("torch::autograd::AccumulateGrad",)),
    "w.masked_fill(w > 1, 0.)": ("MaskedFillBackward0", ("torch::autograd::AccumulateGrad",)),
    "w.gather(1, torch.tensor([[0], [1]]))": (
        "GatherBackward0",
        ("torch::autograd::AccumulateGrad",),
    ),
    "w.index_select(0, torch.tensor([1]))": (
        "IndexSelectBackward0",
        ("torch::autograd::AccumulateGrad",),
    ),
    "w.flip(0)": ("FlipBackward0", ("torch::autograd::AccumulateGrad",)),
    "x.rsqrt()": ("RsqrtBackward0", ("torch::autograd::AccumulateGrad",)),
    "x.clamp_min(0)": ("ClampMinBackward0", ("torch::autograd::AccumulateGrad",)),
    "w.sum(0, keepdim=True)": ("SumBackward1", ("torch::autograd::AccumulateGrad",)),
    "w.prod(1)": ("ProdBackward1", ("torch::autograd::AccumulateGrad",)),
}


@pytest.mark.parametrize("expr", list(ROWS))
def test_grad_fn_name_and_edges(expr):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    w = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    c = torch.tensor([1.0, 2.0])
    env = {"torch": torch, "x": x, "w": w, "c": c}
    y = eval(expr, env)  # noqa: S307 - table of expressions
    name, edges = ROWS[expr]
    assert y.grad_fn.name() == name
    assert type(y.grad_fn).__name__ == name.split("::")[-1]
    assert tuple(None if n is None else n.name() for n, _ in y.grad_fn.next_functions) == edges
