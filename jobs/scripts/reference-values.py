#!/usr/bin/env python3
"""Writes the real-data test files of the jobs module and their reference results.

Reads two data sets that Debian ships in the package python3-sklearn (scikit-learn's bundled
data; `apt-get install python3-sklearn`, then `dpkg -L python3-sklearn | grep datasets/data`):

  diabetes_data_raw.csv.gz + diabetes_target.csv.gz  ->  diabetes.csv       (442 rows, 10 features)
  breast_cancer.csv                                  ->  breast_cancer.csv  (569 rows, 30 features)

and computes with numpy alone (float64) what the regression job must reproduce:

  * least squares on diabetes (numpy.linalg.lstsq),
  * ridge on diabetes as Spark MLlib's LinearRegression (exact "normal" solver) defines regParam with
    elasticNetParam 0 and standardization, which standardizes the label too:
    minimize 1/(2n) |y - Xw - b|^2 + (lambda / sigma_y) / 2 * sum_j (sigma_j w_j)^2, population
    standard deviations,
  * logistic maximum likelihood on breast_cancer's ten "mean_" features, and on all 30 features with
    MLlib's LogisticRegression ridge: mean log-loss + lambda/2 * sum_j (s_j w_j)^2, s_j the sample
    standard deviations (Newton's method iterated until the gradient vanishes to rounding),
  * full-batch gradient-descent trajectories (zero start, standardized features with the population
    standard deviation, a fixed step, the loss taken before each update) for both models.

Usage: python3 jobs/scripts/reference-values.py [SKLEARN_DATA_DIR]
(default /usr/lib/python3/dist-packages/sklearn/datasets/data). Output goes to
jobs/src/test/resources/datasets/ next to this script's module.
"""
import gzip
import os
import sys

import numpy as np

SRC = sys.argv[1] if len(sys.argv) > 1 else "/usr/lib/python3/dist-packages/sklearn/datasets/data"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "test", "resources", "datasets")

DIABETES = ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"]
CANCER = [p + "_" + f for p in ("mean", "error", "worst") for f in (
    "radius", "texture", "perimeter", "area", "smoothness", "compactness", "concavity", "concave_points",
    "symmetry", "fractal_dimension")]
# scikit-learn names the middle block "radius error" etc.; here every name starts with its block
CANCER = [n.replace("error_", "se_") for n in CANCER]


def write_csv(path, header, rows):
    with open(path, "w", newline="\n") as f:
        f.write(",".join(header) + "\n")
        for r in rows:
            f.write(",".join(r) + "\n")


def diabetes():
    with gzip.open(os.path.join(SRC, "diabetes_data_raw.csv.gz"), "rt") as f:
        rows = [line.split() for line in f if line.strip()]
    with gzip.open(os.path.join(SRC, "diabetes_target.csv.gz"), "rt") as f:
        target = [float(line) for line in f if line.strip()]
    assert len(rows) == len(target) == 442 and all(len(r) == 10 for r in rows)
    out = [r + ["%d" % t if t == int(t) else repr(t)] for r, t in zip(rows, target)]
    write_csv(os.path.join(OUT, "diabetes.csv"), DIABETES + ["progression"], out)
    return np.array([[float(v) for v in r] for r in rows]), np.array(target)


def breast_cancer():
    with open(os.path.join(SRC, "breast_cancer.csv")) as f:
        lines = [line.strip() for line in f if line.strip()]
    n, d = (int(v) for v in lines[0].split(",")[:2])
    rows = [line.split(",") for line in lines[1:]]
    assert len(rows) == n == 569 and all(len(r) == d + 1 for r in rows)
    write_csv(os.path.join(OUT, "breast_cancer.csv"), CANCER + ["benign"], rows)
    data = np.array([[float(v) for v in r] for r in rows])
    return data[:, :-1], data[:, -1]


def standardized(x):
    return x.mean(axis=0), x.std(axis=0)


def least_squares(x, y):
    a = np.hstack([x, np.ones((len(x), 1))])
    coef, *_ = np.linalg.lstsq(a, y, rcond=None)
    return coef


def ridge(x, y, lam):
    n = len(x)
    mu, sd = standardized(x)
    xc = x - mu
    yc = y - y.mean()
    w = np.linalg.solve(xc.T @ xc / n + lam / y.std() * np.diag(sd * sd), xc.T @ yc / n)
    return np.append(w, y.mean() - mu @ w)


def logistic_mle(x, y, lam=0.0):
    n, d = x.shape
    mu, sd = standardized(x)
    s = x.std(axis=0, ddof=1)
    a = np.hstack([x, np.ones((n, 1))])
    coef = np.zeros(d + 1)
    pen = np.append(lam * s * s, 0.0)
    for _ in range(200):
        z = a @ coef
        p = 0.5 * (1 + np.tanh(z / 2))
        g = a.T @ (p - y) / n + pen * coef
        # the Hessian in standardized coordinates is well conditioned; map the step back
        t = np.zeros((d + 1, d + 1))
        t[:d, :d] = np.diag(1 / sd)
        t[d, :d] = -mu / sd
        t[d, d] = 1
        h = a.T @ (a * (p * (1 - p))[:, None]) / n + np.diag(pen)
        step = t @ np.linalg.solve(t.T @ h @ t, t.T @ g)
        coef = coef - step
        if np.abs(t.T @ g).max() < 1e-15:
            break
    return coef


def gradient_descent(x, y, logistic, rate, epochs):
    n, d = x.shape
    mu, sd = standardized(x)
    z = np.hstack([(x - mu) / sd, np.ones((n, 1))])
    theta = np.zeros(d + 1)
    losses = []
    for _ in range(epochs):
        score = z @ theta
        if logistic:
            losses.append(np.mean(np.logaddexp(0, score) - y * score))
            g = z.T @ (0.5 * (1 + np.tanh(score / 2)) - y) / n
        else:
            r = score - y
            losses.append(np.mean(r * r))
            g = 2 * z.T @ r / n
        theta = theta - rate * g
    w = theta[:d] / sd
    return np.array(losses), np.append(w, theta[d] - mu @ w)


def step_for(x, curvature):
    """The gradient-descent step used by the tests: half of 1/L, rounded down to two digits."""
    lam = np.linalg.eigvalsh(np.corrcoef(x, rowvar=False)).max()
    raw = 0.5 / (curvature * lam)
    e = np.floor(np.log10(raw)) - 1
    return np.floor(raw / 10 ** e) * 10 ** e


def fmt(v):
    return ",".join(repr(float(e)) for e in np.atleast_1d(v))


def main():
    os.makedirs(OUT, exist_ok=True)
    xd, yd = diabetes()
    xc, yc = breast_cancer()
    ref = {}
    ls = least_squares(xd, yd)
    a = np.hstack([xd, np.ones((len(xd), 1))])
    mse = np.mean((a @ ls - yd) ** 2)
    ref["diabetes.ls.coefficients"] = fmt(ls)
    ref["diabetes.ls.mse"] = fmt(mse)
    ref["diabetes.ls.r2"] = fmt(1 - mse / yd.var())
    ref["diabetes.ls.conditionNumber"] = fmt(np.linalg.cond(np.corrcoef(xd, rowvar=False)))
    ref["diabetes.ridge.l2"] = fmt(0.1)
    ref["diabetes.ridge.coefficients"] = fmt(ridge(xd, yd, 0.1))
    rate = step_for(xd, 2)
    losses, coef = gradient_descent(xd, yd, False, rate, 60)
    ref["diabetes.gd.lr"] = fmt(rate)
    ref["diabetes.gd.losses"] = fmt(losses)
    ref["diabetes.gd.coefficients"] = fmt(coef)

    mean10 = xc[:, :10]
    mle = logistic_mle(mean10, yc)
    ac = np.hstack([mean10, np.ones((len(mean10), 1))])
    score = ac @ mle
    ref["cancer.mean10.features"] = ",".join(CANCER[:10])
    ref["cancer.mean10.coefficients"] = fmt(mle)
    ref["cancer.mean10.logLoss"] = fmt(np.mean(np.logaddexp(0, score) - yc * score))
    ref["cancer.mean10.accuracy"] = fmt(np.mean((score > 0) == (yc > 0.5)))
    ref["cancer.ridge.l2"] = fmt(0.01)
    ref["cancer.ridge.coefficients"] = fmt(logistic_mle(xc, yc, 0.01))
    rate = step_for(xc, 0.25)
    losses, coef = gradient_descent(xc, yc, True, rate, 10)
    ref["cancer.gd.lr"] = fmt(rate)
    ref["cancer.gd.losses"] = fmt(losses)
    ref["cancer.gd.coefficients"] = fmt(coef)

    with open(os.path.join(OUT, "reference-values.properties"), "w", newline="\n") as f:
        f.write("# Written by jobs/scripts/reference-values.py (numpy %s) from python3-sklearn's data files.\n"
                % np.__version__)
        f.write("# Coefficients: the features in file order, then the intercept.\n")
        for k in sorted(ref):
            f.write("%s = %s\n" % (k, ref[k]))


if __name__ == "__main__":
    main()
