#!/usr/bin/env python3
"""The PyTorch side of the classification benchmark (ClassifyBenchmark).

Trains the same model as `tessera classify` on Fashion-MNIST read straight from the IDX files:
pixels standardised with the training set's per-pixel mean and standard deviation (0 -> 1),
a multilayer perceptron (784 -> hidden... -> 10, ReLU) or softmax regression, cross-entropy,
Adam, mini-batches drawn from a seeded permutation each epoch. Prints one JSON object:
per-epoch seconds and loss, test accuracy after the last epoch, threads and torch version.

    python3 torch_classify.py SOURCE_DIR THREADS EPOCHS BATCH LR HIDDEN(e.g. 256 or 256,128 or 0) SEED
"""
import gzip
import json
import os
import sys
import time

import numpy as np
import torch


def read_idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    rank = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(rank))
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * rank).reshape(shape)


def main():
    src, threads, epochs, batch, lr, hidden, seed = sys.argv[1:8]
    threads, epochs, batch, lr, seed = int(threads), int(epochs), int(batch), float(lr), int(seed)
    hidden = [int(h) for h in hidden.split(",") if int(h) > 0]
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    xtr = read_idx(os.path.join(src, "train-images-idx3-ubyte.gz")).reshape(-1, 784).astype(np.float32)
    ytr = read_idx(os.path.join(src, "train-labels-idx1-ubyte.gz")).astype(np.int64)
    xte = read_idx(os.path.join(src, "t10k-images-idx3-ubyte.gz")).reshape(-1, 784).astype(np.float32)
    yte = read_idx(os.path.join(src, "t10k-labels-idx1-ubyte.gz")).astype(np.int64)
    mean = xtr.mean(axis=0)
    std = xtr.std(axis=0)
    std[std == 0] = 1
    xtr = torch.from_numpy((xtr - mean) / std)
    xte = torch.from_numpy((xte - mean) / std)
    ytr = torch.from_numpy(ytr)
    yte = torch.from_numpy(yte)
    layers = []
    width = 784
    for h in hidden:
        layers += [torch.nn.Linear(width, h), torch.nn.ReLU()]
        width = h
    layers.append(torch.nn.Linear(width, 10))
    model = torch.nn.Sequential(*layers)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = torch.nn.CrossEntropyLoss()
    n = xtr.shape[0]
    gen = torch.Generator().manual_seed(seed)
    times, losses = [], []
    for _ in range(epochs):
        t0 = time.perf_counter()
        perm = torch.randperm(n, generator=gen)
        total = 0.0
        for s in range(0, n, batch):
            idx = perm[s:s + batch]
            opt.zero_grad()
            loss = loss_fn(model(xtr[idx]), ytr[idx])
            loss.backward()
            opt.step()
            total += loss.item() * idx.shape[0]
        times.append(time.perf_counter() - t0)
        losses.append(total / n)
    with torch.no_grad():
        acc = (model(xte).argmax(1) == yte).float().mean().item()
    print(json.dumps({"torch": torch.__version__, "threads": threads, "epoch_seconds": times,
                      "median_epoch_seconds": float(np.median(times)), "epoch_loss": losses,
                      "test_accuracy": acc}))


if __name__ == "__main__":
    main()
