"""The tape engine: PyTorch-style tensors with dynamic-graph autograd (see api.py)."""
