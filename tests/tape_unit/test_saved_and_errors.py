"""What nodes save (read off the rule templates), and PyTorch's error texts for
mistakes the differential suite does not exercise."""

import operator

import numpy as np
import pytest

import srcad as torch
from srcad.rules import tape_ops
from srcad.tape.node import info


@pytest.mark.parametrize(
    "prim, needs, tensors, read, result",
    [
        (operator.add, (True, True), {0, 1}, set(), False),
        (operator.mul, (True, False), {0, 1}, {1}, False),
        (operator.mul, (True, True), {0, 1}, {0, 1}, False),
        (np.exp, (True, False), {0}, set(), True),
        (tape_ops.sigmoid, (True,), {0}, set(), True),
        (tape_ops.getitem, (True, False), {0, 1}, {1}, False),
        (np.sum, (True,) + (False,) * 6, {0}, set(), False),
        (np.mean, (True,) + (False,) * 5, {0}, set(), False),
        (np.concatenate, (True, False, False, False, False), {0}, set(), False),
    ],
)
def test_saved_values_follow_the_template(prim, needs, tensors, read, result):
    """Among the array arguments (``tensors``), those the rule reads by value are saved."""
    inf = info(prim)
    an = inf.analysis(needs[: len(inf.params)])
    assert set(an.read) & tensors == read
    assert an.res is result


ERRORS = [
    (lambda: torch.ones(2) + torch.ones(3), RuntimeError, "The size of tensor a (2) must match"),
    (lambda: torch.ones(2, 3).view(4), RuntimeError, "shape '[4]' is invalid for input of size 6"),
    (lambda: torch.ones(2, 3).t().view(6), RuntimeError, "view size is not compatible"),
    (lambda: torch.ones(2, 3)[2], IndexError, "index 2 is out of bounds for dimension 0"),
    (lambda: torch.ones(2)[0, 0], IndexError, "too many indices for tensor of dimension 1"),
    (lambda: torch.ones(2).sum(1), IndexError, "Dimension out of range"),
    (lambda: torch.tensor([1, 2]).mean(), RuntimeError, "mean(): could not infer output dtype"),
    (lambda: torch.ones(2, 3).mm(torch.ones(2, 3)), RuntimeError, "mat1 and mat2 shapes"),
    (lambda: torch.ones(2).mm(torch.ones(2, 2)), RuntimeError, "self must be a matrix"),
    (lambda: torch.ones(2, 2, 2).t(), RuntimeError, "t() expects a tensor with <= 2 dimensions"),
    (lambda: torch.cat([torch.ones(2), torch.ones(2, 2)]), RuntimeError, "Tensors must have same"),
    (lambda: torch.ones(2).expand(3, 3), RuntimeError, "The expanded size of the tensor (3)"),
    (lambda: len(torch.tensor(1.0)), TypeError, "len() of a 0-d tensor"),
    (lambda: bool(torch.ones(2)), RuntimeError, "Boolean value of Tensor with more than one"),
    (lambda: float(torch.ones(2)), ValueError, "only one element tensors"),
    (lambda: -torch.tensor([True]), RuntimeError, "Negation, the `-` operator, on a bool tensor"),
    (lambda: torch.tensor([1, 2]) ** -1, RuntimeError, "Integers to negative integer powers"),
    (
        lambda: torch.ones(2, requires_grad=True).numpy(),
        RuntimeError,
        "Can't call numpy() on Tensor that requires grad",
    ),
    (lambda: torch.ones(2).clamp(), RuntimeError, "torch.clamp: At least one of 'min' or 'max'"),
    (lambda: f"{torch.ones(2):.2f}", TypeError, "unsupported format string"),
    (
        lambda: (torch.ones(2, requires_grad=True) * 1).backward(torch.ones(2, 2)),
        RuntimeError,
        "Mismatch in shape: grad_output[0] has a shape of torch.Size([2, 2])",
    ),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_error_type_and_leading_text(i):
    fn, kind, text = ERRORS[i]
    with pytest.raises(kind) as info_:
        fn()
    assert type(info_.value) is kind
    assert str(info_.value).startswith(text)


def test_E6_message_names_the_producer():
    a = torch.tensor([1.0, 2.0], requires_grad=True)
    b = a.sigmoid()
    c = b * 2
    b.mul_(3)
    with pytest.raises(RuntimeError) as e:
        c.sum().backward()
    assert "[torch.FloatTensor [2]], which is output 0 of Sigmoid, is at version 1; " in str(
        e.value
    )


def test_E6_for_function_saved_tensor():
    class Square(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a * a

        @staticmethod
        def backward(ctx, g):
            (a,) = ctx.saved_tensors
            return 2 * a * g

    x = torch.tensor([1.0, 2.0], requires_grad=True)
    h = x * 1
    y = Square.apply(h).sum()
    h.add_(1)
    with pytest.raises(RuntimeError, match="output 0 of Add"):
        y.backward()


@pytest.mark.parametrize(
    "call, text",
    [
        (
            lambda: torch.exp([1.0, 2.0]),
            "exp(): argument 'input' (position 1) must be Tensor, not list",
        ),
        (lambda: torch.sum(3.0), "sum(): argument 'input' (position 1) must be Tensor, not float"),
        (lambda: torch.ones_like([1.0]), "full_like(): argument 'input'"),
        (lambda: torch.cat([torch.ones(1), 2.0]), "expected Tensor as element 1 in argument 0"),
        (lambda: torch.stack(torch.ones(2)), "stack(): argument 'tensors' (position 1)"),
    ],
)
def test_functions_refuse_non_tensors_with_type_error(call, text):
    with pytest.raises(TypeError) as e:
        call()
    assert str(e.value).startswith(text)
