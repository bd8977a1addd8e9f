"""One training step of a small CNN: srcad's tape against PyTorch CPU eager.

Conv2d(1, 8, 3) -> ReLU -> MaxPool2d(2) -> Flatten -> Linear(8*13*13, 10) ->
CrossEntropyLoss on a batch of 32 1x28x28 images, then SGD.  The same code runs on
both libraries (``import srcad as torch`` / ``import torch``), in one process, with
the same weights; each step is timed (forward, backward, update) and the median of
``--repeat`` runs is printed with the ratio.  Not a test.

    python benchmarks/bench_cnn.py [--repeat 30] [--batch 32] [--threads 1]
"""

import argparse
import statistics
import time

import numpy as np


def build(lib):
    nn = lib.nn
    lib.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 8, 3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(8 * 13 * 13, 10),
    )
    return model, nn.CrossEntropyLoss(), lib.optim.SGD(model.parameters(), lr=0.01)


def copy_weights(src, dst, lib):
    dst.load_state_dict({k: lib.tensor(v.detach().numpy()) for k, v in src.state_dict().items()})


def step_timer(lib, model, loss_fn, opt, x, y):
    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    return step


def timed(step, repeat, warmup=3):
    for _ in range(warmup):
        step()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument(
        "--threads", type=int, default=0, help="torch.set_num_threads (0: leave PyTorch's default)"
    )
    args = parser.parse_args()

    import torch

    import srcad

    if args.threads:
        torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    x_np = rng.standard_normal((args.batch, 1, 28, 28)).astype(np.float32)
    y_np = rng.integers(0, 10, args.batch)

    t_model, t_loss, t_opt = build(torch)
    s_model, s_loss, s_opt = build(srcad)
    copy_weights(t_model, s_model, srcad)

    t_step = step_timer(torch, t_model, t_loss, t_opt, torch.tensor(x_np), torch.tensor(y_np))
    s_step = step_timer(srcad, s_model, s_loss, s_opt, srcad.tensor(x_np), srcad.tensor(y_np))
    t_first, s_first = t_step(), s_step()  # same weights, same batch: same first loss

    t_med = timed(t_step, args.repeat)
    s_med = timed(s_step, args.repeat)
    print(f"CNN training step, batch {args.batch}x1x28x28, median of {args.repeat} runs")
    print(
        f"(first losses: torch {t_first:.6f}, srcad {s_first:.6f};"
        f" torch threads: {torch.get_num_threads()})"
    )
    print()
    print(f"| {'engine':<18} | {'ms / step':>10} | {'vs PyTorch':>10} |")
    print(f"| {'-' * 18} | {'-' * 10}:| {'-' * 10}:|")
    print(f"| {'PyTorch CPU eager':<18} | {t_med * 1e3:10.2f} | {1.0:9.2f}x |")
    print(f"| {'srcad tape':<18} | {s_med * 1e3:10.2f} | {s_med / t_med:9.2f}x |")
    # Both took the same number of SGD steps on the same batch: the weights agree.
    diff = max(
        float(np.max(np.abs(tp.detach().numpy() - sp.detach().numpy())))
        for tp, sp in zip(t_model.parameters(), s_model.parameters())
    )
    print(f"\nmax |weight difference| after {args.repeat + 4} steps: {diff:.2e}")


if __name__ == "__main__":
    main()
