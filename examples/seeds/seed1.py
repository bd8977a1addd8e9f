"""Seed 001, "torch.autograd" (tistory notebook): every cell of the post, in order.

Run with ``python examples/seeds/seed1.py``.  Imports are the post's with ``torch``
replaced by ``srcad``.  Errors the notebook showed as tracebacks are caught and
printed as ``RuntimeError: ...``.  Values drawn from ``randn`` differ from the post
(another generator); everything derived from them has the same form.
"""

import srcad as torch

torch.manual_seed(0)

# In [2]: x.grad is None before any backward
x = torch.randn(2, requires_grad=True)
print(x.grad)

# In [3]: a gradient argument weights each element; y.grad of a non-leaf is None
x = torch.randn(2, requires_grad=True)
y = x * 3
gradients = torch.tensor([100, 0.1], dtype=torch.float)
y.backward(gradients)
print(x.grad)
print(y.grad)  # UserWarning: The .grad attribute of a Tensor that is not a leaf ...

# In [4]
x = torch.randn(2, requires_grad=True)
y = x * 3
gradients = torch.tensor([100, 0.1], dtype=torch.float)
y.backward(gradients)
print(x.grad)

# In [5]: backward through a tensor that does not require grad
x = torch.randn(2, requires_grad=False)
y = x * 3
gradients = torch.tensor([100, 0.1], dtype=torch.float)
try:
    y.backward(gradients)
    print(x.grad)
except RuntimeError as e:
    print(f"RuntimeError: {e}")

# In [6]: a second backward after the graph was freed
x = torch.randn(2, requires_grad=True)
y = x * 3
gradients = torch.tensor([100, 0.1], dtype=torch.float)
y.backward(gradients)
print(x.grad)
try:
    y.backward(gradients)
    print(x.grad)
except RuntimeError as e:
    print(f"RuntimeError: {e}")

# In [7]: retain_graph=True keeps it; the gradients accumulate
x = torch.randn(2, requires_grad=True)
y = x * 3
gradients = torch.tensor([100, 0.1], dtype=torch.float)
y.backward(gradients, retain_graph=True)
print(x.grad)
y.backward(gradients)
print(x.grad)

# In [8]: grad_fn in the reprs (the notebook displayed the tuple w, y, z)
x = torch.randn(2, requires_grad=True)
y = x * 3
z = x / 2
w = x + y
print("(" + ",\n ".join(repr(t) for t in (w, y, z)) + ")")

# In [9]
import srcad.nn as nn  # noqa: E402
import srcad.nn.functional as F  # noqa: E402


# In [10]: a small network
class SimpleNet(nn.Module):
    def __init__(self):
        super(SimpleNet, self).__init__()  # noqa: UP008 - the post's spelling
        self.conv1 = nn.Conv2d(1, 10, 5)
        self.pool1 = nn.MaxPool2d(2, 2)

        self.conv2 = nn.Conv2d(10, 20, 5)
        self.pool2 = nn.MaxPool2d(2, 2)

        self.fc = nn.Linear(320, 50)
        self.out = nn.Linear(50, 10)

    def forward(self, input):  # noqa: A002
        x = self.pool1(F.relu(self.conv1(input)))
        x = self.pool2(F.relu(self.conv2(x)))
        x = x.view(x.size(0), -1)
        x = F.relu(self.fc(x))
        x = F.relu(self.out(x))
        return x


# In [11]: a forward hook
def hook_func(self, input, output):  # noqa: A002
    print("Inside " + self.__class__.__name__ + " forwrd")
    print("")
    print("input:", type(input))
    print("input[0] shape:", input[0].shape)
    print("output shape:", output.shape)
    print("")


# In [12] - [15]: register on conv1 and conv2; the hooks run during forward
net = SimpleNet()
net.conv1.register_forward_hook(hook_func)
net.conv2.register_forward_hook(hook_func)
input = torch.randn(1, 1, 28, 28)  # noqa: A001
out = net(input)


# In [16] - [17]: a forward pre-hook
def hook_pre(self, input):  # noqa: A002
    print("Inside " + self.__class__.__name__ + " forward")
    print()
    print("input: ", type(input))
    print("input[0] shape: ", input[0].shape)


net = SimpleNet()
net.conv1.register_forward_pre_hook(hook_pre)

input = torch.randn(1, 1, 28, 28)  # noqa: A001
out = net(input)


# In [18] - [19]: a (non-full) backward hook on conv1.  As in PyTorch 2, registering
# it on a module whose forward has several graph inputs gives a FutureWarning (stderr).
def hook_grad(self, grad_input, grad_output):
    print("Inside " + self.__class__.__name__ + " backward")
    print()
    print("grad_input len: ", len(grad_input))
    print("grad_input[1] shape: ", grad_input[1].shape)
    print("grad_input[2] shape: ", grad_input[2].shape)

    print("grad_output len: ", len(grad_output))
    print("grad_output[0] shape: ", grad_output[0].shape)


net = SimpleNet()
net.conv1.register_backward_hook(hook_grad)

input = torch.randn(1, 1, 28, 28)  # noqa: A001
out = net(input)

target = torch.tensor([3], dtype=torch.long)
loss_fn = nn.CrossEntropyLoss()
err = loss_fn(out, target)
err.backward()

# In [20] - [22]: removing a hook through its handle
net = SimpleNet()
h = net.conv1.register_forward_hook(hook_func)
input = torch.randn(1, 1, 28, 28)  # noqa: A001
out = net(input)

h.remove()
out = net(input)

# Autograd example: keep an intermediate activation with a forward hook.
save_feat = []


def hook_feat(module, input, output):  # noqa: A002
    save_feat.append(output)
    return output


# The post's ``model.get_model_shortcuts()`` is not a PyTorch API; the PyTorch way to
# find a layer by name is ``named_modules()`` (here the layer "conv2" of SimpleNet).
model = SimpleNet()
for name, module in model.named_modules():
    if name == "conv2":
        module.register_forward_hook(hook_feat)

img = torch.randn(1, 28, 28)
img = img.unsqueeze(0)
s = model(img)[0]
print("saved:", len(save_feat), save_feat[0].shape, "output:", s.shape)
