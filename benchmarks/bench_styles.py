"""Source mode on the same workloads written in other styles, beside a hand-written
NumPy gradient of each: the check that speed was not tuned to bench_workloads.py's
spelling of them.

Logistic regression three ways (sigmoid and two logs; ``log(1 + exp(-margin))`` with
labels +-1; ``logaddexp`` through ``X.dot``), Python-float loops three ways (a sum of
products, a loop of invariant factors, a recurrence ``x = x + 0.001 * sin(x * y)``),
25 iterations of 6 elementwise ops on a length-10 vector, an RNN with ``np.dot``, and
an MLP with ``np.maximum(a, 0.0)``; then Tangent's own logistic regression (a bias,
integer constants: ``lr_d``), an RNN with a bias and a loss at every step (``rnn_b``),
a softmax MLP with biases (``mlp_b``) and 100 elementwise steps of four forms
(``ew_b``); then an RNN whose hidden states are kept in a list (``rnn_c``), a sum
of a list of terms (``sl_d``), a sum of a generator (``sl_e``) and an RNN whose
hidden states are kept in a dict (``rnn_d``, min-char-rnn's spelling); a softmax
cross-entropy with the max shifted out (``sm_a``) and a Huber loss through ``np.where``
(``hb_a``), both on 1000 x 100 data.  Each gradient is
checked against the hand-written one (max relative difference printed), then both are
timed side by side, round-robin,
with ``_util.measure_many`` (GC paused in a loop, as timeit does), and so is the
generated function called directly: the difference is ``srcad.grad``'s per-call cost
(the cheap call, srcad/cheapcall.py).  Not a test.

    python benchmarks/bench_styles.py [--threads N] [--only lr_a sl_c ...] [--features 20]
"""

import argparse
import math

import numpy as np
from _util import environment, markdown_table, measure_many, pin_threads

import srcad

rng = np.random.default_rng(0)
X = rng.standard_normal((1000, 100))
w = 0.05 * rng.standard_normal(100)
y = (rng.random(1000) < 0.5).astype(np.float64)
ypm = 2 * y - 1


def lr_a(w, X, y):
    z = np.dot(X, w)
    p = 1.0 / (1.0 + np.exp(-z))
    return -np.mean(y * np.log(p) + (1.0 - y) * np.log(1.0 - p))


def lr_a_hand(w, X, y):
    p = 1.0 / (1.0 + np.exp(-np.dot(X, w)))
    return np.dot(X.T, p - y) / X.shape[0]


def lr_b(w, X, y):
    margins = y * np.dot(X, w)
    return np.sum(np.log(1.0 + np.exp(-margins))) / X.shape[0]


def lr_b_hand(w, X, y):
    m = y * np.dot(X, w)
    s = -y / (1.0 + np.exp(m))
    return np.dot(s, X) / X.shape[0]


def lr_c(w, X, y):
    z = X.dot(w)
    return np.mean(np.logaddexp(0, -y * z))


def lr_c_hand(w, X, y):
    z = X.dot(w)
    return X.T.dot(-y / (1.0 + np.exp(y * z))) / len(y)


def sl_a(a, b):
    s = 0.0
    for i in range(1000):
        s = s + a * math.sin(b * i)
    return s


def sl_a_hand(a, b):
    da = 0.0
    for i in range(1000):
        da += math.sin(b * i)
    return da


def sl_b(x, y):
    total = 0.0
    for i in range(1000):
        total += math.exp(-x * i / 1000.0) * math.cos(y)
    return total


def sl_b_hand(x, y):
    c = math.cos(y)
    d = 0.0
    for i in range(1000):
        d += math.exp(-x * i / 1000.0) * (-i / 1000.0) * c
    return d


def sl_c(x, y):
    for _ in range(1000):
        x = x + 0.001 * math.sin(x * y)
    return x


def sl_c_hand(x, y):
    xs = []
    for _ in range(1000):
        xs.append(x)
        x = x + 0.001 * math.sin(x * y)
    dx = 1.0
    for xi in reversed(xs):
        dx = dx * (1.0 + 0.001 * math.cos(xi * y) * y)
    return dx


v10 = rng.standard_normal(10)
c10 = rng.standard_normal(10)


def ew_a(x, c):
    for _ in range(25):
        x = np.tanh(x * c + 0.1) + np.sin(x) * 0.5 - x * x * 0.01
    return np.sum(x)


def ew_a_hand(x, c):
    st = []
    for _ in range(25):
        t = np.tanh(x * c + 0.1)
        st.append((x, t))
        x = t + np.sin(x) * 0.5 - x * x * 0.01
    dx = np.ones_like(x)
    for x0, t in reversed(st):
        dx = dx * ((1 - t * t) * c + np.cos(x0) * 0.5 - 0.02 * x0)
    return dx


def rnn_a(Wh, Wx, xs, h0):
    h = h0
    for t in range(np.shape(xs)[0]):
        h = np.tanh(np.dot(xs[t], Wx) + np.dot(h, Wh))
    return np.sum(h * h)


def rnn_a_hand(Wh, Wx, xs, h0):
    hs = [h0]
    for t in range(xs.shape[0]):
        hs.append(np.tanh(np.dot(xs[t], Wx) + np.dot(hs[-1], Wh)))
    dWh = np.zeros_like(Wh)
    dh = 2.0 * hs[-1]
    for t in range(xs.shape[0] - 1, -1, -1):
        dpre = dh * (1.0 - hs[t + 1] ** 2)
        dWh += np.dot(hs[t].T, dpre)
        dh = np.dot(dpre, Wh.T)
    return dWh


Wh, Wx = rng.standard_normal((32, 32)) / 6.0, rng.standard_normal((16, 32)) / 4.0
xs, h0 = rng.standard_normal((50, 8, 16)), np.zeros((8, 32))


def mlp_a(W1, W2, X, Y):
    h = np.maximum(np.dot(X, W1), 0.0)
    out = np.dot(h, W2)
    return 0.5 * np.sum((out - Y) ** 2) / X.shape[0]


def mlp_a_hand(W1, W2, X, Y):
    a = np.dot(X, W1)
    h = np.maximum(a, 0.0)
    out = np.dot(h, W2)
    d = (out - Y) / X.shape[0]
    dW2 = np.dot(h.T, d)
    dh = np.dot(d, W2.T) * (a > 0)
    return np.dot(X.T, dh), dW2


Xm = rng.standard_normal((256, 784))
W1 = rng.standard_normal((784, 256)) / 28
W2 = rng.standard_normal((256, 10)) / 16
Ym = rng.standard_normal((256, 10))


# Added in the tenth session: Tangent's own logistic regression (a bias, integer
# constants), an RNN with a bias and a loss at every step, a softmax MLP with biases,
# and 100 steps of four elementwise forms on a length-10 vector.
def lr_d(W, b, X, y):
    h1 = np.dot(X, W) + b
    prob = 1 / (1 + np.exp(-h1))
    return -np.mean(y * np.log(prob) + (1 - y) * np.log(1 - prob))


def lr_d_hand(W, b, X, y):
    p = 1 / (1 + np.exp(-(np.dot(X, W) + b)))
    d = (p - y) / X.shape[0]
    return np.dot(X.T, d), np.sum(d)


def lr_e(X, y, W, b):
    # Tangent's spelling with the probability of the label (eleventh session)
    h1 = np.dot(X, W) + b
    prob = 1.0 / (1.0 + np.exp(-h1))
    label_probs = prob * y + (1.0 - prob) * (1.0 - y)
    return -np.sum(np.log(label_probs)) / np.shape(X)[0]


def lr_e_hand(X, y, W, b):
    p = 1.0 / (1.0 + np.exp(-(np.dot(X, W) + b)))
    d = (p - y) / X.shape[0]  # (labels 0 or 1)
    return np.dot(X.T, d), np.sum(d)


def rnn_b(Wx, Wh, b, xs, h0):
    h = h0
    loss = 0.0
    for t in range(np.shape(xs)[0]):
        h = np.tanh(np.dot(xs[t], Wx) + np.dot(h, Wh) + b)
        loss = loss + np.sum(h**2)
    return loss


def rnn_b_hand(Wx, Wh, b, xs, h0):
    hs = [h0]
    for t in range(xs.shape[0]):
        hs.append(np.tanh(xs[t] @ Wx + hs[-1] @ Wh + b))
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)
    dh = np.zeros_like(h0)
    for t in range(xs.shape[0] - 1, -1, -1):
        h = hs[t + 1]
        da = (dh + 2.0 * h) * (1.0 - h * h)
        dWx += xs[t].T @ da
        dWh += hs[t].T @ da
        db += da.sum(0)
        dh = da @ Wh.T
    return dWx, dWh, db


def mlp_b(W1, b1, W2, b2, X, Y):
    h = np.maximum(np.dot(X, W1) + b1, 0.0)
    logits = np.dot(h, W2) + b2
    e = np.exp(logits - np.max(logits, axis=1, keepdims=True))
    p = e / np.sum(e, axis=1, keepdims=True)
    return -np.sum(Y * np.log(p)) / np.shape(X)[0]


def mlp_b_hand(W1, b1, W2, b2, X, Y):
    a = X @ W1 + b1
    h = np.maximum(a, 0.0)
    logits = h @ W2 + b2
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    dl = (e / e.sum(axis=1, keepdims=True) - Y) / X.shape[0]
    da = (dl @ W2.T) * (a > 0)
    return X.T @ da, da.sum(0), h.T @ dl, dl.sum(0)


def ew_b(x):
    for _ in range(25):
        x = np.sin(x) * 1.01 + np.cos(x) * 0.5
        x = x / (1.0 + x**2)
        x = np.sqrt(x * x + 1.0) - 0.9
        x = np.exp(-x) + np.log(1.0 + x * x)
    return np.sum(x)


def ew_b_hand(x):
    saved = []
    for _ in range(25):
        s, c = np.sin(x), np.cos(x)
        saved.append((x, s, c))
        x = s * 1.01 + c * 0.5
        d = 1.0 + x**2
        saved.append((x, d))
        x = x / d
        r = np.sqrt(x * x + 1.0)
        saved.append((x, r))
        x = r - 0.9
        e, q = np.exp(-x), 1.0 + x * x
        saved.append((x, e, q))
        x = e + np.log(q)
    g = np.ones_like(x)
    for _ in range(25):
        x3, e, q = saved.pop()
        g = g * (-e + 2.0 * x3 / q)
        x2, r = saved.pop()
        g = g * (x2 / r)
        x1, d = saved.pop()
        g = g * ((d - 2.0 * x1 * x1) / (d * d))
        x0, s, c = saved.pop()
        g = g * (c * 1.01 - s * 0.5)
    return g


# Added in the thirteenth session: the hidden states kept in a list, a sum of a list
# of terms and a sum of a generator (the shapes of a list's elements, the adjoint of a
# list only summed).
def rnn_c(Wx, Wh, xs, h0):
    hs = [h0]
    for t in range(len(xs)):
        hs.append(np.tanh(np.dot(xs[t], Wx) + np.dot(hs[-1], Wh)))
    return np.mean(hs[-1] ** 2)


def rnn_c_hand(Wx, Wh, xs, h0):
    hs = [h0]
    for t in range(xs.shape[0]):
        hs.append(np.tanh(xs[t] @ Wx + hs[-1] @ Wh))
    dWx, dWh = np.zeros_like(Wx), np.zeros_like(Wh)
    dh = 2.0 * hs[-1] / hs[-1].size
    for t in range(xs.shape[0] - 1, -1, -1):
        da = dh * (1.0 - hs[t + 1] ** 2)
        dWx += xs[t].T @ da
        dWh += hs[t].T @ da
        dh = da @ Wh.T
    return dWx, dWh


def rnn_d(Wx, Wh, xs, h0):
    # min-char-rnn's spelling: the hidden states in a dict keyed by the step
    hs = {}
    hs[-1] = h0
    loss = 0.0
    for t in range(len(xs)):
        hs[t] = np.tanh(np.dot(xs[t], Wx) + np.dot(hs[t - 1], Wh))
        loss += np.sum(hs[t] ** 2)
    return loss


def rnn_d_hand(Wx, Wh, xs, h0):
    hs = {-1: h0}
    for t in range(len(xs)):
        hs[t] = np.tanh(xs[t] @ Wx + hs[t - 1] @ Wh)
    dWx, dWh = np.zeros_like(Wx), np.zeros_like(Wh)
    dhnext = np.zeros_like(h0)
    for t in reversed(range(len(xs))):
        da = (2.0 * hs[t] + dhnext) * (1.0 - hs[t] ** 2)
        dWx += xs[t].T @ da
        dWh += hs[t - 1].T @ da
        dhnext = da @ Wh.T
    return dWx, dWh


def sl_d(a, b):
    terms = []
    for i in range(1000):
        terms.append(math.exp(-a * i / 1000.0) * b)
    return sum(terms)


def sl_d_hand(a, b):
    da = 0.0
    for i in range(1000):
        da -= math.exp(-a * i / 1000.0) * b * i / 1000.0
    return da


def sl_e(a, b):
    return sum(math.sin(a * i) * b + a * a for i in range(1000))


def sl_e_hand(a, b):
    da = 0.0
    for i in range(1000):
        da += math.cos(a * i) * i * b + 2.0 * a
    return da


def sm_a(W, X, labels):
    # softmax cross-entropy, the max shifted out first (fourteenth session)
    z = X @ W
    z = z - np.max(z, axis=1, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.mean(logp[np.arange(X.shape[0]), labels])


def sm_a_hand(W, X, labels):
    z = X @ W
    p = np.exp(z - np.max(z, axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    p[np.arange(X.shape[0]), labels] -= 1.0
    return X.T @ p / X.shape[0]


def hb_a(w, X, y):
    # a Huber loss through np.where (fourteenth session)
    r = X @ w - y
    a = np.abs(r)
    return np.sum(np.where(a < 1.0, 0.5 * r * r, a - 0.5))


def hb_a_hand(w, X, y):
    r = X @ w - y
    return X.T @ np.where(np.abs(r) < 1.0, r, np.sign(r))


Wxb, Whb, bb = (
    rng.standard_normal((16, 32)) / 4.0,
    rng.standard_normal((32, 32)) / 6.0,
    np.zeros(32),
)
b1m, W2m, b2m = np.zeros(256), rng.standard_normal((256, 10)) / 16, np.zeros(10)
Ym1 = np.eye(10)[rng.integers(0, 10, 256)]
labels10 = rng.integers(0, 10, 1000)
CASES = [
    ("lr_a", lr_a, lr_a_hand, (w, X, y), 0),
    ("lr_b", lr_b, lr_b_hand, (w, X, ypm), 0),
    ("lr_c", lr_c, lr_c_hand, (w, X, ypm), 0),
    ("sl_a", sl_a, sl_a_hand, (1.3, 0.7), 0),
    ("sl_b", sl_b, sl_b_hand, (1.3, 0.7), 0),
    ("sl_c", sl_c, sl_c_hand, (0.3, 0.7), 0),
    ("ew_a", ew_a, ew_a_hand, (v10, c10), 0),
    ("rnn_a", rnn_a, rnn_a_hand, (Wh, Wx, xs, h0), 0),
    ("mlp_a", mlp_a, mlp_a_hand, (W1, W2, Xm, Ym), (0, 1)),
    ("lr_d", lr_d, lr_d_hand, (w, 0.1, X, y), (0, 1)),
    ("lr_e", lr_e, lr_e_hand, (X, y, w, 0.1), (2, 3)),
    ("rnn_b", rnn_b, rnn_b_hand, (Wxb, Whb, bb, xs, h0), (0, 1, 2)),
    ("mlp_b", mlp_b, mlp_b_hand, (W1, b1m, W2m, b2m, Xm, Ym1), (0, 1, 2, 3)),
    ("ew_b", ew_b, ew_b_hand, (0.3 * rng.standard_normal(10),), 0),
    ("rnn_c", rnn_c, rnn_c_hand, (Wxb, Whb, xs, h0), (0, 1)),
    ("sl_d", sl_d, sl_d_hand, (1.3, 0.7), 0),
    ("sl_e", sl_e, sl_e_hand, (1.3, 0.7), 0),
    ("rnn_d", rnn_d, rnn_d_hand, (Wxb, Whb, xs, h0), (0, 1)),
    ("sm_a", sm_a, sm_a_hand, (0.1 * rng.standard_normal((100, 10)), X, labels10), 0),
    ("hb_a", hb_a, hb_a_hand, (w, X, 3.0 * rng.standard_normal(1000)), 0),
]


def _with_features(cases, k):
    """The cases, the logistic regressions on 1000 x ``k`` data (the same draws' first
    ``k`` columns when ``k <= 100``): where the matrix products weigh less, the
    elementwise passes of the sweep decide."""
    if k == X.shape[1]:
        return cases
    r = np.random.default_rng(1)
    Xk = np.ascontiguousarray(X[:, :k]) if k <= X.shape[1] else r.standard_normal((X.shape[0], k))
    wk = 0.05 * r.standard_normal(k)
    swap = {id(X): Xk, id(w): wk}
    return [
        (n, f, h, tuple(swap.get(id(a), a) for a in args), wrt) for n, f, h, args, wrt in cases
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="*", help="case names, e.g. lr_a sl_c")
    parser.add_argument("--threads", type=int, help="pin BLAS threads")
    parser.add_argument(
        "--features", type=int, default=100, help="columns of X in the logistic regressions"
    )
    opts = parser.parse_args()
    if opts.threads:
        pin_threads(opts.threads)
    print(environment())
    rows = []
    for name, f, hand, args, wrt in _with_features(CASES, opts.features):
        if opts.only and name not in opts.only:
            continue
        g = srcad.grad(f, wrt, mode="source")
        got, ref = g(*args), hand(*args)
        got = got if isinstance(got, tuple) else (got,)
        ref = ref if isinstance(ref, tuple) else (ref,)
        err = max(
            float(np.max(np.abs(np.asarray(a) - np.asarray(b))) / (1e-300 + np.max(np.abs(b))))
            for a, b in zip(got, ref)
        )
        code = g._last[0]  # the generated function itself, without srcad.grad's call
        fns = {
            "hand": lambda h=hand, a=args: h(*a),
            "src": lambda g=g, a=args: g(*a),
            "code": lambda c=code, a=args: c(*a),
        }
        t = measure_many(fns, repeat=7)
        rows.append(
            [name, f"{t['hand'] * 1e6:,.1f}", f"{t['src'] * 1e6:,.1f}",
             f"{t['code'] * 1e6:,.1f}", f"{t['src'] / t['hand']:.2f}", f"{err:.0e}"]
        )  # fmt: skip
        print(f"  .. {name}", flush=True)
    header = ["case", "hand µs", "srcad source µs", "generated code alone µs", "ratio"]
    print(markdown_table(header + ["max rel diff"], rows))


if __name__ == "__main__":
    main()
