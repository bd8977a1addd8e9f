"""Seed 000, "Pytorch autograd" (velog): every example of the post, in order.

Run with ``python examples/seeds/seed0.py``.  Only the import line differs from the
post: ``import srcad as torch``.
"""

import srcad as torch

# -- Background: backward with an explicit gradient ---------------------------------
a = torch.tensor([2.0, 3.0], requires_grad=True)
b = torch.tensor([6.0, 4.0], requires_grad=True)

Q = 3 * a**3 - b**2
external_grad = torch.tensor([1.0, 1.0])
Q.backward(gradient=external_grad)

print(a.grad)  # tensor([36., 81.])
print(b.grad)  # tensor([-12., -8.])

# The post's bullets: a scalar needs no gradient argument, so summing first gives the
# same gradients (shown here on fresh leaves).
a2 = torch.tensor([2.0, 3.0], requires_grad=True)
b2 = torch.tensor([6.0, 4.0], requires_grad=True)
(3 * a2**3 - b2**2).sum().backward()
print(a2.grad, b2.grad)

# -- Chain rule --------------------------------------------------------------------
x = torch.ones(2, 2, requires_grad=True)
print(x)
y = x * 2
z = y * y

# dz/dx = dz/dy * dy/dx = 2y * 2 = 8x
z.sum().backward()
print(x.grad)

# tensor([[1., 1.],
#        [1., 1.]], requires_grad=True)
# tensor([[8., 8.],
#        [8., 8.]])

# -- No-grad mode ------------------------------------------------------------------
x = torch.ones(2, 2, requires_grad=True)
y = x * 2
print(y.requires_grad)  # True

with torch.no_grad():
    y = x * 2
    print(y.requires_grad)  # False
