#!/usr/bin/env python3
"""References for the committed Fashion-MNIST sample, computed with numpy from the IDX files.

The sample itself is written by Tessera's converter:
    ./tessera fashion-mnist --format csv.gz --train-rows 2000 --test-rows 500 --out /tmp/fms
    d=jobs/src/test/resources/datasets/fashion-mnist
    cp /tmp/fms/train.csv.gz $d/train-sample.csv.gz; cp /tmp/fms/test.csv.gz $d/test-sample.csv.gz
This script reads the original IDX files independently (numpy, gzip) and writes $d/references.json:
per split, the number of rows, the count of each label, the sum of every pixel column and the
total pixel sum of each label's rows. FashionMnistSampleTest checks the committed CSV files, and
the converter's output on IDX files, against these numbers.

    python3 jobs/scripts/fashion-mnist-references.py [/usr/share/datasets/fashion-mnist]
"""
import gzip
import json
import os
import sys

import numpy as np


def read_idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    zero, dtype, rank = raw[0:2], raw[2], raw[3]
    assert zero == b"\x00\x00" and dtype == 0x08, path
    shape = tuple(int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(rank))
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * rank)
    assert data.size == int(np.prod(shape)), path
    return data.reshape(shape)


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/datasets/fashion-mnist"
    out = {"source": "Debian package dataset-fashion-mnist (0.0~git20200523.55506a9-1)",
           "splits": {}}
    for split, prefix, rows in (("train", "train", 2000), ("test", "t10k", 500)):
        images = read_idx(os.path.join(src, prefix + "-images-idx3-ubyte.gz"))[:rows].reshape(rows, -1)
        labels = read_idx(os.path.join(src, prefix + "-labels-idx1-ubyte.gz"))[:rows]
        x = images.astype(np.int64)
        out["splits"][split] = {
            "rows": rows,
            "label_counts": [int((labels == k).sum()) for k in range(10)],
            "column_sums": [int(v) for v in x.sum(axis=0)],
            "label_pixel_sums": [int(x[labels == k].sum()) for k in range(10)],
        }
    here = os.path.dirname(os.path.abspath(__file__))
    target = os.path.join(here, "..", "src", "test", "resources", "datasets", "fashion-mnist", "references.json")
    with open(target, "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
