"""Training throughput: biodl's Lightning path against a minimal hand-written PyTorch loop.

Same model (DeepBind defaults), same data (random one-hot 101 bp, random labels), same
batch size, optimiser and sampler. Prints sequences per second for each and the
overhead of biodl in percent (target <= 10 %).

Usage::

    .venv/bin/python bench/train_throughput.py --n 20000 --epochs 3 --repeats 3
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

from biodl.config import TrainConfig
from biodl.models import ModelIO, create_model
from biodl.train import fit


def data(n: int, length: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, 4, size=(n, length))
    X = np.eye(4, dtype=np.float32)[idx].transpose(0, 2, 1).copy()
    y = rng.integers(0, 2, size=(n, 1)).astype(np.float32)
    return X, y


def plain_loop(X: np.ndarray, y: np.ndarray, *, epochs: int, batch_size: int, seed: int) -> float:
    torch.manual_seed(seed)
    model = create_model("deepbind", {}, io=ModelIO(4, X.shape[2], 1))
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-6)
    loss_fn = nn.BCEWithLogitsLoss()
    ds = TensorDataset(torch.from_numpy(X), torch.from_numpy(y))
    sampler = DistributedSampler(ds, num_replicas=1, rank=0, shuffle=True, seed=seed)
    loader = DataLoader(ds, batch_size=batch_size, sampler=sampler)
    model.train()
    start = time.perf_counter()
    for epoch in range(epochs):
        sampler.set_epoch(epoch)
        for xb, yb in loader:
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
    return len(X) * epochs / (time.perf_counter() - start)


def biodl_fit(X: np.ndarray, y: np.ndarray, *, epochs: int, batch_size: int, seed: int) -> float:
    torch.manual_seed(seed)
    model = create_model("deepbind", {}, io=ModelIO(4, X.shape[2], 1))
    config = TrainConfig(
        max_epochs=epochs, min_epochs=epochs, batch_size=batch_size, seed=seed,
        progress_bar=False, accelerator="cpu", deterministic=False,
    )  # fmt: skip
    result = fit(model, (X, y), None, config=config)
    return result.train_seq_per_s


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--length", type=int, default=101)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    X, y = data(args.n, args.length, 0)
    plain, ours = [], []
    for r in range(args.repeats):  # interleaved, so drift hits both
        plain.append(plain_loop(X, y, epochs=args.epochs, batch_size=args.batch_size, seed=r))
        ours.append(biodl_fit(X, y, epochs=args.epochs, batch_size=args.batch_size, seed=r))
    p, b = statistics.median(plain), statistics.median(ours)
    print(f"plain PyTorch loop: {p:,.0f} seq/s  (runs: {', '.join(f'{v:,.0f}' for v in plain)})")
    print(f"biodl (Lightning):  {b:,.0f} seq/s  (runs: {', '.join(f'{v:,.0f}' for v in ours)})")
    print(
        f"overhead: {100 * (p - b) / p:+.1f} %  (n={args.n}, L={args.length}, "
        f"batch={args.batch_size}, epochs={args.epochs}, threads={args.threads})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
