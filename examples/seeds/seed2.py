"""Seed 002 (tistory notebook): every cell of the post, in order.

Run with ``python examples/seeds/seed2.py``.  Only the import line differs from the
post.  Cells that draw from ``randn`` print other numbers than the post (another
generator) but the same relations hold (``x.grad == 2 * y``, ...).
"""

import srcad as torch

torch.manual_seed(0)

# In [2] - [5]
x1 = torch.ones(2, 2)
print(x1)
x2 = torch.ones(2, 2, requires_grad=True)
print(x2)
y1 = x1 + 2
print(y1)
y2 = x2 + 2
print(y2)

# In [8] - [10]
x = torch.ones(2, 2, requires_grad=True)
print(x)
y3 = x * 2
print(y3)
y4 = x / 2
print(y4)

# In [11] - [12]: requires_grad_ on a result computed without grad
x = torch.ones(2, 2)
y = x + 2
print(y)
print(y.requires_grad_(True))

# In [13] - [14]
x = torch.tensor(2.0, requires_grad=True)
y = 9 * x**4 + 2 * x**3 + 3 * x**2 + 6 * x + 1
y.backward()
print(x.grad)

# In [15] - [21]
x = torch.randn(2, 2, requires_grad=True)
y = x + 2
z = (y * y).sum()
z.backward()
print(x)
print(y)
print(z)
print(x.grad)
print(y.grad)  # None, with the non-leaf .grad UserWarning
print(z.grad)  # None, with the warning

# In [22]: backward of a non-scalar with a tensor gradient
x = torch.randn(2, 2, requires_grad=True)
y = x + 2
z = y * y
y.backward(z)
print(x.grad)

# In [24] - [30]
x = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
print(x)
y = x + 2
print(y)
z = 3 * y**2
print(z)
out = z.mean()
print(out)
out.backward()
print(x.grad)

# In [31]: partial derivatives
x = torch.tensor(1.0, requires_grad=True)
z = torch.tensor(2.0, requires_grad=True)

y = x**2 + z**3
y.backward()
print(x.grad, z.grad)

# In [32] - [34]: no_grad
x = torch.tensor(1.0, requires_grad=True)
print(x.requires_grad)

with torch.no_grad():
    print(x.requires_grad)
    print((x**2).requires_grad)

print(x.requires_grad)
