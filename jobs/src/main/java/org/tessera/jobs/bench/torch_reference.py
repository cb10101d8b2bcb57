"""PyTorch figures for the engine benchmark (EngineBenchmark runs this script in the same run).

Usage: python3 torch_reference.py THREADS N_FLAT N_SIDE WARMUP REPS [ROWS COLS BLOCK_ROWS]
With ROWS COLS BLOCK_ROWS it also times the streaming case: the mean of squares of a
ROWS x COLS standard normal matrix made block by block in one reused buffer (normal_, then
square().sum()), as the distributed engine makes it block by block.
Prints one line per case, "name median_seconds", for the cases EngineBenchmark measures.
EngineBenchmark runs it with glibc told to keep freed memory (MALLOC_MMAP_MAX_=0,
MALLOC_TRIM_THRESHOLD_ large), so that a new result reuses memory as Tessera's buffer pool
does, instead of paying for the first touch of fresh pages on every call.
"""
import sys
import time

import torch


def median(work, warmup, reps):
    for _ in range(warmup):
        work()
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    times.sort()
    n = len(times)
    return times[n // 2] if n % 2 else (times[n // 2 - 1] + times[n // 2]) / 2


def mlp_step(batch):
    """EngineBenchmark's MLP training step: batch x 784 -> 1024 -> 10, relu, squared loss."""
    x = torch.randn(batch, 784)
    y = torch.randn(batch, 10)
    w1 = (torch.randn(784, 1024) * 0.03).requires_grad_()
    w2 = (torch.randn(1024, 10) * 0.03).requires_grad_()

    def step():
        loss = (torch.relu(x @ w1) @ w2 - y).square().sum()
        loss.backward()
        g = w1.grad.sum().item() + w2.grad.sum().item()
        w1.grad = None
        w2.grad = None
        return g

    return step


def main():
    threads, n_flat, n_side, warmup, reps = (int(v) for v in sys.argv[1:6])
    torch.set_num_threads(threads)
    torch.manual_seed(3)
    a = torch.randn(n_flat)
    b = torch.randn(n_flat)
    c = torch.randn(n_flat)
    m = torch.randn(n_side, n_side)
    out = torch.empty(n_flat)
    cases = [
        ("sum_flat", lambda: a.sum()),
        ("chain_sum_flat", lambda: a.mul(3).add(1).relu().sum()),
        ("square_mean_flat", lambda: a.square().mean()),
        ("diff_pow_sum_flat", lambda: (a - b).pow(2).sum()),
        ("sum_side", lambda: m.sum()),
        ("sum0_side", lambda: m.sum(0)),
        ("sum1_side", lambda: m.sum(1)),
        ("max1_side", lambda: m.max(1)),
        ("max0_side", lambda: m.max(0)),
        ("argmax1_side", lambda: m.argmax(1)),
        ("argmax0_side", lambda: m.argmax(0)),
        ("relu_chain_flat", lambda: torch.relu(a * b + c)),
        ("relu_addcmul_flat", lambda: torch.addcmul(c, a, b, out=out).clamp_(min=0)),
        # generation throughput, into a tensor allocated once
        ("rand_flat", lambda: out.uniform_()),
        ("randn_flat", lambda: out.normal_()),
        ("randn_square_mean_flat", lambda: out.normal_().square().mean()),
        # one training step of an MLP of N_SIDE rows: forward, backward, both weight gradients read
        ("mlp_step", mlp_step(n_side)),
    ]
    if len(sys.argv) > 8:
        rows, cols, block = (int(v) for v in sys.argv[6:9])
        buf = torch.empty(block, cols)

        def stream():
            s = 0.0
            for _ in range(rows // block):
                buf.normal_()
                s += buf.square().sum().item()
            return s / (rows * cols)

        cases.append(("stream_blockwise", stream))
    for name, work in cases:
        print(name, repr(median(work, warmup, reps)), flush=True)


if __name__ == "__main__":
    main()
