"""Seed 004 (notes on Tensor, backward, no_grad, detach, grad, is_leaf, retain_graph).

Run with ``python examples/seeds/seed4.py``.  The post's code blocks, in order, with
the attributes its comments list printed; short demonstrations of the notes that
have no code in the post (eval/train, detach, retain_graph) are marked as such.
"""

import srcad as torch
import srcad.nn as nn

torch.manual_seed(0)

# -- Forward walk-through: a is a weight, b an input -----------------------------------
a = torch.tensor(2.0, requires_grad=True)
print("a:", a.data, a.grad, a.grad_fn, a.is_leaf, a.requires_grad)
b = torch.tensor(3.0)
print("b:", b.data, b.grad, b.grad_fn, b.is_leaf, b.requires_grad)
c = a * b
print("c:", c.data, c.grad_fn, c.is_leaf, c.requires_grad)

# -- Dynamically created computational graph (one RNN step) ----------------------------
W_h = torch.randn(20, 20, requires_grad=True)
W_x = torch.randn(20, 10, requires_grad=True)
x = torch.randn(1, 10)
prev_h = torch.randn(1, 20)

h2h = torch.mm(W_h, prev_h.t())
i2h = torch.mm(W_x, x.t())
next_h = h2h + i2h
next_h = next_h.tanh()
loss = next_h.sum()
loss.backward()  # compute gradients
print("next_h:", next_h.shape, next_h.grad_fn)
print("W_h.grad:", W_h.grad.shape, "W_x.grad:", W_x.grad.shape)

# -- Backward example ---------------------------------------------------------------
x = torch.tensor(1.0, requires_grad=True)
z = x**3
z.backward(torch.tensor(3.0))
print(x.grad)  # dz/dx = 3 x**2 = 3 at x = 1, times the gradient 3: tensor(9.)

# -- no_grad example ----------------------------------------------------------------
x = torch.tensor(1.0, requires_grad=True)
y = x * 2
print(y.requires_grad)  # True
with torch.no_grad():
    y = x * 2
print(y.requires_grad)  # False

# -- detach example -----------------------------------------------------------------
x = torch.tensor(1.0, requires_grad=True)
print(x.requires_grad)  # True
y = x.detach()
print(y.requires_grad)  # False
print(x.eq(y).all())  # tensor(True)

# -- Notes without code in the post ---------------------------------------------------
# model.eval() vs model.train(): Dropout and BatchNorm behave differently.
model = nn.Sequential(nn.Linear(4, 4), nn.BatchNorm1d(4), nn.Dropout(0.5))
batch = torch.randn(8, 4)
model.train()
out_train = model(batch)
model.eval()
out_eval1, out_eval2 = model(batch), model(batch)
print("eval is deterministic:", bool(out_eval1.eq(out_eval2).all()))
print("train mode zeroed some outputs:", bool((out_train == 0).any()))

# detach(): gradients stop at the detached point (GAN: train only the discriminator).
net_a = nn.Linear(3, 3)
net_b = nn.Linear(3, 1)
point_x = net_a(torch.randn(2, 3)).detach()
print("detached point is a leaf:", point_x.is_leaf, point_x.requires_grad)
net_b(point_x).sum().backward()
print("A got no grad:", net_a.weight.grad is None, "B got grad:", net_b.weight.grad is not None)

# .grad accumulates; retain_grad() keeps a non-leaf's gradient.
w = torch.tensor([1.0, 2.0], requires_grad=True)
h = w * 2
h.retain_grad()
(h * h).sum().backward()
print("w.grad:", w.grad, "h.grad:", h.grad)

# Several losses on one graph: retain_graph=True on the first backward, or sum them.
w.grad = None
h = w * 2
loss1, loss2 = h.sum(), (h * h).sum()
loss1.backward(retain_graph=True)
loss2.backward()
print("two backwards:", w.grad)
w.grad = None
h = w * 2
(h.sum() + (h * h).sum()).backward()
print("summed losses:", w.grad)
