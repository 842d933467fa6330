#!/usr/bin/env python3
"""NumPy reference for tl's transferability scores (LogME, LEEP, NCE, H-score).

Each function follows its paper's formula independently of the Swift code (SVD and
pseudo-inverse from NumPy instead of tl's Jacobi eigen-decomposition).

    Scripts/transferability_reference.py --write-fixtures Tests/Fixtures/transferability
        draws fixed feature files (seeded) and writes them with reference.json
    Scripts/transferability_reference.py Tests/Fixtures/transferability
        recomputes the scores of the stored files and prints them as JSON

The Swift tests (Tests/TLTransferTests/TransferabilityTests.swift) read the same files and
compare with reference.json to 1e-4 relative.
"""
import json
import os
import sys

import numpy as np

RTOL = 1e-10  # eigenvalues below RTOL * largest count as zero (tl's Transferability.relativeTolerance)


def logme(f, y, classes):
    """You et al., ICML 2021: evidence of Bayesian linear regression on each one-hot target column,
    maximised by the fixed-point iteration of the paper's Algorithm 1 (11 steps at most, stop when
    alpha/beta moves by <= 0.1%); the log-determinant counts all D eigenvalues of alpha I + beta F^T F."""
    f = np.asarray(f, dtype=np.float64)
    n, d = f.shape
    u, s, _ = np.linalg.svd(f, full_matrices=False)
    sigma = s ** 2
    keep = sigma > RTOL * sigma.max()
    sigma, u = sigma[keep], u[:, keep]
    zeros = d - sigma.size
    evidences = []
    for c in range(classes):
        yc = (y == c).astype(np.float64)
        x2 = (u.T @ yc) ** 2
        res_outside = (yc ** 2).sum() - x2.sum()
        alpha, beta = 1.0, 1.0

        def terms(alpha, beta):
            t = alpha / beta
            gamma = (sigma / (sigma + t)).sum()
            m2 = (sigma * x2 / (t + sigma) ** 2).sum()
            res2 = (x2 / (1 + sigma / t) ** 2).sum() + res_outside
            return gamma, m2, res2

        for _ in range(11):
            t = alpha / beta
            gamma, m2, res2 = terms(alpha, beta)
            alpha = gamma / (m2 + 1e-5)
            beta = (n - gamma) / (res2 + 1e-5)
            if abs(alpha / beta - t) / t <= 1e-3:
                break
        _, m2, res2 = terms(alpha, beta)
        logdet = np.log(alpha + beta * sigma).sum() + zeros * np.log(alpha)
        evidence = (d / 2 * np.log(alpha) + n / 2 * np.log(beta) - 0.5 * logdet - beta / 2 * res2
                    - alpha / 2 * m2 - n / 2 * np.log(2 * np.pi)) / n
        evidences.append(evidence)
    return float(np.mean(evidences))


def leep(theta, y, classes):
    """Nguyen et al., ICML 2020: mean log of the expected empirical prediction."""
    n, z = theta.shape
    joint = np.zeros((classes, z))
    for c in range(classes):
        joint[c] = theta[y == c].sum(axis=0) / n
    cond = joint / joint.sum(axis=0, keepdims=True)          # P(y | z)
    eep = (theta @ cond.T)[np.arange(n), y]                   # sum_z P(y_i|z) theta_i(z)
    return float(np.mean(np.log(eep)))


def nce(z, y, classes):
    """Tran et al., ICCV 2019: negative conditional entropy -H(Y|Z) of the empirical joint."""
    n = len(y)
    zc = int(z.max()) + 1
    joint = np.zeros((classes, zc))
    np.add.at(joint, (y, z), 1.0 / n)
    pz = joint.sum(axis=0, keepdims=True)
    mask = joint > 0
    return float((joint[mask] * np.log((joint / np.where(pz > 0, pz, 1))[mask])).sum())


def hscore(f, y, classes):
    """Bao et al., ICIP 2019: tr(cov(f)^+ cov(E[f|y])) with NumPy's Hermitian pseudo-inverse."""
    f = np.asarray(f, dtype=np.float64)
    cov_f = np.cov(f, rowvar=False)
    g = np.zeros_like(f)
    for c in range(classes):
        g[y == c] = f[y == c].mean(axis=0)
    cov_g = np.cov(g, rowvar=False)
    return float(np.trace(np.linalg.pinv(cov_f, rcond=RTOL, hermitian=True) @ cov_g))


CASES = {
    # name: (samples, feature dims, target classes, source classes)
    "tall": (60, 8, 3, 5),     # more samples than dimensions
    "wide": (20, 30, 4, 6),    # fewer samples than dimensions (the few-shot case)
}


def write_fixtures(folder):
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(15)
    for name, (n, d, classes, z) in CASES.items():
        y = np.arange(n) % classes
        centers = rng.normal(size=(classes, d))
        f = np.maximum(0, centers[y] * 0.8 + rng.normal(size=(n, d)))   # ReLU-like, class signal plus noise
        f[:, 0] = 0.0                                                      # a dead unit, as after ReLU
        logits = rng.normal(size=(n, z)) + 1.5 * (np.arange(z)[None, :] == (y[:, None] % z))
        theta = np.exp(logits - logits.max(axis=1, keepdims=True))
        theta /= theta.sum(axis=1, keepdims=True)
        np.savetxt(os.path.join(folder, f"{name}-features.csv"), f, delimiter=",", fmt="%.17g")
        np.savetxt(os.path.join(folder, f"{name}-labels.csv"), y, fmt="%d")
        np.savetxt(os.path.join(folder, f"{name}-source-probabilities.csv"), theta, delimiter=",", fmt="%.17g")


def load(folder, name):
    f = np.loadtxt(os.path.join(folder, f"{name}-features.csv"), delimiter=",", ndmin=2)
    y = np.loadtxt(os.path.join(folder, f"{name}-labels.csv"), dtype=np.int64, ndmin=1)
    theta = np.loadtxt(os.path.join(folder, f"{name}-source-probabilities.csv"), delimiter=",", ndmin=2)
    return f, y, theta


def scores(folder):
    out = {}
    for name, (_, _, classes, _) in CASES.items():
        f, y, theta = load(folder, name)
        out[name] = {"logme": logme(f, y, classes), "leep": leep(theta, y, classes),
                     "nce": nce(theta.argmax(axis=1), y, classes), "hscore": hscore(f, y, classes)}
    return out


def main(argv):
    if len(argv) == 3 and argv[1] == "--write-fixtures":
        write_fixtures(argv[2])
        result = scores(argv[2])
        with open(os.path.join(argv[2], "reference.json"), "w") as fh:
            json.dump(result, fh, indent=2, sort_keys=True)
            fh.write("\n")
        print(json.dumps(result, indent=2, sort_keys=True))
    elif len(argv) == 2:
        print(json.dumps(scores(argv[1]), indent=2, sort_keys=True))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
