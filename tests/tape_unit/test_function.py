"""Custom autograd.Function features the differential suite does not reach."""

import pytest

import srcad as torch


def test_setup_context_style():
    class Sq(torch.autograd.Function):
        @staticmethod
        def forward(a):
            return a * a

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(inputs[0])

        @staticmethod
        def backward(ctx, g):
            (a,) = ctx.saved_tensors
            return 2 * a * g

    x = torch.tensor([1.0, 2.0], requires_grad=True)
    Sq.apply(x).sum().backward()
    assert x.grad.tolist() == [2.0, 4.0]


def test_materialize_grads_false_passes_none():
    seen = []

    class Two(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.set_materialize_grads(False)
            return a * 2, a * 3

        @staticmethod
        def backward(ctx, g1, g2):
            seen.append((g1 is None, g2 is None))
            return g1 * 2

    x = torch.tensor([1.0, 2.0], requires_grad=True)
    p, _ = Two.apply(x)
    p.sum().backward()
    assert seen == [(False, True)] and x.grad.tolist() == [2.0, 2.0]


def test_missing_output_grads_are_zeros_by_default():
    class Two(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2, a * 3

        @staticmethod
        def backward(ctx, g1, g2):
            return g1 * 2 + g2 * 3

    x = torch.tensor([1.0, 2.0], requires_grad=True)
    _, q = Two.apply(x)
    q.sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


def test_returning_an_input_gives_a_new_output():
    class Id(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a

        @staticmethod
        def backward(ctx, g):
            return g * 5

    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = Id.apply(x)
    assert y is not x and y.grad_fn.name() == "IdBackward"
    y.sum().backward()
    assert x.grad.tolist() == [5.0, 5.0]


def test_non_differentiable_outputs():
    class M(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            m = a * 1
            ctx.mark_non_differentiable(m)
            return a * 2, m, a.argmax()

        @staticmethod
        def backward(ctx, g, gm, gi):
            return g * 2

    x = torch.tensor([1.0, 3.0], requires_grad=True)
    a, m, i = M.apply(x)
    assert (a.requires_grad, m.requires_grad, i.requires_grad) == (True, False, False)
    a.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


def test_wrong_gradient_shape_is_reported():
    class B(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return torch.ones(3)

    x = torch.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="returned an invalid gradient at index 0"):
        B.apply(x).sum().backward()


def test_broadcastable_gradient_is_summed():
    class B(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return torch.ones(3, 2)

    x = torch.tensor([1.0, 2.0], requires_grad=True)
    B.apply(x).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


def test_ctx_attributes_are_on_the_grad_fn():
    class Scale(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a, k):
            ctx.k = k
            return a * k

        @staticmethod
        def backward(ctx, g):
            return g * ctx.k, None

    y = Scale.apply(torch.tensor([1.0], requires_grad=True), 2.5)
    assert y.grad_fn.k == 2.5
    assert y.grad_fn.needs_input_grad == (True, False)


def test_once_differentiable_under_create_graph():
    from srcad.autograd.function import once_differentiable

    class Once(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a**2

        @staticmethod
        @once_differentiable
        def backward(ctx, g):
            (a,) = ctx.saved_tensors
            return 2 * a * g

    x = torch.tensor([1.0, 2.0], requires_grad=True)
    z = Once.apply(x)
    (g,) = torch.autograd.grad((z * z).sum(), x, create_graph=True)
    assert type(g.grad_fn).__name__ == "Error"
    with pytest.raises(RuntimeError, match="differentiate twice"):
        g.sum().backward()
