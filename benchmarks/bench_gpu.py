"""GPU benchmark: srcad on CuPy (source mode and tape) against PyTorch CUDA eager.

Workloads, float32, one process, same shapes for every engine:
  * MLP training step: X (4096, 1024) -> tanh(X @ W1 + b1) (1024 hidden) -> @ W2 (10),
    MSE loss, gradient of every parameter and an SGD update;
  * RNN over 50 steps: h = tanh(h @ Wh + x_t @ Wx), batch 64, hidden 512, input 256,
    loss = sum(h**2) at the end, gradient wrt Wh and Wx.
Reports the median time per step and the ratio to PyTorch CUDA eager (for the MLP
also the gradient alone, without the update, beside PyTorch's ``autograd.grad``).
``--source`` prints the code srcad generated for the MLP on CuPy arrays.

Run on a machine with a CUDA GPU and CuPy:  python benchmarks/bench_gpu.py
Without a GPU it says so and exits (it is not a test).
"""

import statistics
import sys
import time

import numpy as np

try:
    import cupy as cp

    cp.cuda.runtime.getDeviceCount()
except Exception as exc:  # noqa: BLE001
    print(f"bench_gpu: no usable CuPy/CUDA here ({exc}); nothing to measure.")
    sys.exit(0)

import srcad

try:
    import torch

    HAVE_TORCH = torch.cuda.is_available()
except ImportError:
    HAVE_TORCH = False


def sync():
    cp.cuda.Device().synchronize()
    if HAVE_TORCH:
        torch.cuda.synchronize()


def timed(fn, repeat=20, warmup=3):
    for _ in range(warmup):
        fn()
    sync()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


# -- MLP ---------------------------------------------------------------------------


def mlp_loss(W1, b1, W2, X, Y):
    h = np.tanh(X @ W1 + b1)
    out = h @ W2
    return np.mean((out - Y) ** 2)


def bench_mlp(lr=0.01):
    rng = np.random.default_rng(0)
    n, d, hdim, k = 4096, 1024, 1024, 10
    host = dict(
        W1=(rng.standard_normal((d, hdim)) / np.sqrt(d)).astype(np.float32),
        b1=np.zeros(hdim, np.float32),
        W2=(rng.standard_normal((hdim, k)) / np.sqrt(hdim)).astype(np.float32),
        X=rng.standard_normal((n, d)).astype(np.float32),
        Y=rng.standard_normal((n, k)).astype(np.float32),
    )
    dev = {k_: cp.asarray(v) for k_, v in host.items()}
    grad_src = srcad.grad(mlp_loss, wrt=(0, 1, 2), mode="source")
    grad_tape = srcad.grad(mlp_loss, wrt=(0, 1, 2), mode="tape")
    results = {}

    def step(gfn):
        def run():
            g = gfn(dev["W1"], dev["b1"], dev["W2"], dev["X"], dev["Y"])
            for name, gi in zip(("W1", "b1", "W2"), g):
                dev[name] -= lr * gi

        return run

    results["srcad source"] = timed(step(grad_src))
    args = (dev["W1"], dev["b1"], dev["W2"], dev["X"], dev["Y"])
    results["srcad source, gradient only"] = timed(lambda: grad_src(*args))
    results["srcad tape (grad)"] = timed(step(grad_tape))

    # The tape as a PyTorch user writes it.
    tW1 = srcad.tensor(host["W1"], device="cuda", requires_grad=True)
    tb1 = srcad.tensor(host["b1"], device="cuda", requires_grad=True)
    tW2 = srcad.tensor(host["W2"], device="cuda", requires_grad=True)
    tX = srcad.tensor(host["X"], device="cuda")
    tY = srcad.tensor(host["Y"], device="cuda")
    opt = srcad.optim.SGD([tW1, tb1, tW2], lr=lr)

    def tape_step():
        opt.zero_grad()
        loss = ((srcad.tanh(tX @ tW1 + tb1) @ tW2 - tY) ** 2).mean()
        loss.backward()
        opt.step()

    results["srcad tape (nn style)"] = timed(tape_step)
    if HAVE_TORCH:
        P = [
            torch.tensor(host[k_], device="cuda", requires_grad=True) for k_ in ("W1", "b1", "W2")
        ]
        X, Y = (torch.tensor(host[k_], device="cuda") for k_ in ("X", "Y"))
        topt = torch.optim.SGD(P, lr=lr)

        def torch_step():
            topt.zero_grad()
            loss = ((torch.tanh(X @ P[0] + P[1]) @ P[2] - Y) ** 2).mean()
            loss.backward()
            topt.step()

        results["PyTorch CUDA eager"] = timed(torch_step)

        def torch_grad():
            loss = ((torch.tanh(X @ P[0] + P[1]) @ P[2] - Y) ** 2).mean()
            torch.autograd.grad(loss, P)

        results["PyTorch CUDA eager, gradient only"] = timed(torch_grad)
    if "--source" in sys.argv:
        print(grad_src.source)
    return results


# -- RNN ---------------------------------------------------------------------------


def rnn_loss(Wh, Wx, xs, h0):
    h = h0
    for t in range(50):
        h = np.tanh(h @ Wh + xs[t] @ Wx)
    return np.sum(h * h)


def bench_rnn():
    rng = np.random.default_rng(1)
    b, hd, ind = 64, 512, 256
    host = dict(
        Wh=(rng.standard_normal((hd, hd)) / np.sqrt(hd)).astype(np.float32),
        Wx=(rng.standard_normal((ind, hd)) / np.sqrt(ind)).astype(np.float32),
        xs=rng.standard_normal((50, b, ind)).astype(np.float32),
        h0=np.zeros((b, hd), np.float32),
    )
    dev = {k: cp.asarray(v) for k, v in host.items()}
    args = (dev["Wh"], dev["Wx"], dev["xs"], dev["h0"])
    results = {
        "srcad source": timed(lambda: srcad.grad(rnn_loss, wrt=(0, 1), mode="source")(*args)),
        "srcad tape (grad)": timed(lambda: srcad.grad(rnn_loss, wrt=(0, 1), mode="tape")(*args)),
    }
    if HAVE_TORCH:
        Wh, Wx = (torch.tensor(host[k], device="cuda", requires_grad=True) for k in ("Wh", "Wx"))
        xs, h0 = (torch.tensor(host[k], device="cuda") for k in ("xs", "h0"))

        def torch_rnn():
            h = h0
            for t in range(50):
                h = torch.tanh(h @ Wh + xs[t] @ Wx)
            (h * h).sum().backward()
            Wh.grad = Wx.grad = None

        results["PyTorch CUDA eager"] = timed(torch_rnn)
    return results


def main():
    print(
        f"GPU: {cp.cuda.runtime.getDeviceProperties(0)['name'].decode()}, CuPy {cp.__version__}"
        + (f", PyTorch {torch.__version__}" if HAVE_TORCH else ", PyTorch CUDA: n/a")
    )
    print()
    print("| workload | engine | ms / step | ratio to PyTorch CUDA |")
    print("| --- | --- | --- | --- |")
    for label, res in (("MLP step (4096 x 1024)", bench_mlp()), ("RNN, 50 steps", bench_rnn())):
        for engine, t in res.items():
            only = ", gradient only" if engine.endswith(", gradient only") else ""
            ref = res.get("PyTorch CUDA eager" + only)
            ratio = f"{t / ref:.2f}x" if ref else "n/a"
            print(f"| {label} | {engine} | {t * 1e3:.3f} | {ratio} |")


if __name__ == "__main__":
    main()
