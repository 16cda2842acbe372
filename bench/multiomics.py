"""Multi-omics on ROSMAP (``multiomics_mogonet_rosmap``): AD vs normal control from mRNA,
DNA methylation and miRNA (200 preselected features each), on MOGONET's given
train/test split (245 / 106).

Rows: each single view with ``mlp`` (a ``matrix:`` source), the three fusions of
``multiview`` on the three views (a ``views:`` source: early, late with the mean of the
per-view logits, attention), and scikit-learn logistic regression on the concatenated
preprocessed features. Every view is standardised with the training samples' statistics
(per view; ``examples/rosmap_multiview.yaml``). Neural models: ``seeds`` seeds, 20 % of
the training samples (stratified, by seed) held out for early stopping and the decision
threshold; the test samples are used once, for the table. Metrics on the 106 test
samples: accuracy, F1 (positive class AD) and AUROC, mean ± SD over the seeds, and the
95 % bootstrap CI (1000 resamples of the test samples) of seed 1. Logistic regression is
deterministic (SD 0). MOGONET's published figures (as commonly cited: 0.815 / 0.821 /
0.874; see ``../shared/data/multiomics_mogonet_rosmap/SOURCE.md``) are beside.

The shipped CSVs have no header and no sample ids; :func:`prepare` writes them as TSVs
with ids (``tr1``.., ``te1``..) and the feature names, and a label table.

Run: ``OMP_NUM_THREADS=1 python bench/multiomics.py [--seeds 3] [--out DIR]`` (a few CPU
minutes; needs ../shared/data beside the repository and scikit-learn).
"""

from __future__ import annotations

import argparse
import gzip
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from biodl.data import build_splits
from biodl.models import predict_with_auxiliary
from biodl.runs import load_run
from biodl.tasks import task_from_meta
from biodl.workflows import train_run
from biodl.workflows.common import config_kind, load_checked

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "multiomics_mogonet_rosmap"
VIEWS = {"mrna": 1, "meth": 2, "mirna": 3}
MOGONET = {"accuracy": 0.815, "f1": 0.821, "auroc": 0.874}
TRAIN = {
    "max_epochs": 100,
    "batch_size": 32,
    "learning_rate": 0.001,
    "weight_decay": 0.0001,
    "progress_bar": False,
}


def prepare(out: Path) -> Path:
    """TSVs with sample ids and feature names for each view and part, and ``labels.tsv``
    (``id``, ``label`` AD/NC); returns ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    labels = []
    for part in ("tr", "te"):
        y = [float(v) for v in (DATA / f"labels_{part}.csv").read_text().split()]
        ids = [f"{part}{i + 1}" for i in range(len(y))]
        labels += [f"{s}\t{'AD' if v == 1.0 else 'NC'}" for s, v in zip(ids, y, strict=True)]
        for view, k in VIEWS.items():
            names = (DATA / f"{k}_featname.csv").read_text().split()
            with gzip.open(DATA / f"{k}_{part}.csv.gz", "rt") as handle:
                rows = [line.strip() for line in handle if line.strip()]
            assert len(rows) == len(ids)
            text = ["id\t" + "\t".join(names)]
            text += [f"{s}\t" + row.replace(",", "\t") for s, row in zip(ids, rows, strict=True)]
            (out / f"{view}_{part}.tsv").write_text("\n".join(text) + "\n")
    (out / "labels.tsv").write_text("id\tlabel\n" + "\n".join(labels) + "\n")
    return out


def _views(folder: Path, part: str, names: list[str]) -> dict[str, Any]:
    return {
        "views": {v: {"matrix": str(folder / f"{v}_{part}.tsv"), "sample_id": "id"} for v in names},
        "labels": str(folder / "labels.tsv"),
        "label": "label",
        "unmatched_labels": "ignore",  # one table labels the train and the test files
    }


def config(folder: Path, model: dict[str, Any], views: list[str], seed: int) -> dict[str, Any]:
    """A biodl configuration: one view as a ``matrix:`` source, several as ``views:``."""
    if len(views) == 1:
        train: dict[str, Any] = {
            "matrix": str(folder / f"{views[0]}_tr.tsv"),
            "sample_id": "id",
            "labels": str(folder / "labels.tsv"),
            "label": "label",
            "unmatched_labels": "ignore",
        }
        test: dict[str, Any] = {**train, "matrix": str(folder / f"{views[0]}_te.tsv")}
    else:
        train, test = _views(folder, "tr", views), _views(folder, "te", views)
    return {
        "task": "binary",
        "positive": "AD",
        "data": {
            "train": train,
            "valid": {"fraction": 0.2},
            "test": test,
            "preprocess": ["standardize"],
        },
        "model": model,
        "train": {**TRAIN, "seed": seed},
        "evaluate": {"n_bootstrap": 0},
    }


def scores_of(raw: dict[str, Any], out: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Train, then ``(truth 0/1, score, predicted 0/1)`` on the test samples."""
    run = train_run(raw, out)
    loaded = load_run(run.out)
    cfg = _checked(raw, out)
    splits = build_splits(cfg, preprocess=loaded.preprocess.to_json())
    assert splits.test is not None
    kind = config_kind(cfg)
    logits, _ = predict_with_auxiliary(loaded.model, kind.encode(splits.test))
    score = task_from_meta(loaded.meta).scores(logits).reshape(-1)
    cut = float(loaded.meta.get("threshold") or 0.5)
    truth = np.array([label == "AD" for label in splits.test.labels], dtype=int)
    return truth, score, (score >= cut).astype(int)


def _checked(raw: dict[str, Any], out: Path) -> Any:
    import yaml

    path = out.parent / f"{out.name}.yaml"
    path.write_text(yaml.safe_dump(raw))
    return load_checked(path)


def metrics(truth: np.ndarray, score: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    from sklearn.metrics import accuracy_score, f1_score, roc_auc_score

    return {
        "accuracy": float(accuracy_score(truth, pred)),
        "f1": float(f1_score(truth, pred)),
        "auroc": float(roc_auc_score(truth, score)),
    }


def bootstrap(
    truth: np.ndarray, score: np.ndarray, pred: np.ndarray, n: int = 1000
) -> dict[str, tuple[float, float]]:
    """95 % percentile bootstrap CIs over the test samples."""
    rng = np.random.default_rng(0)
    draws: dict[str, list[float]] = {"accuracy": [], "f1": [], "auroc": []}
    for _ in range(n):
        idx = rng.integers(0, len(truth), len(truth))
        if len(set(truth[idx].tolist())) < 2:
            continue
        for k, v in metrics(truth[idx], score[idx], pred[idx]).items():
            draws[k].append(v)
    return {
        k: (float(np.quantile(v, 0.025)), float(np.quantile(v, 0.975))) for k, v in draws.items()
    }


def logistic(folder: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Logistic regression (C=1) on the three views, each standardised on the training
    samples (the same encoding ``multiview`` gets)."""
    from sklearn.linear_model import LogisticRegression

    with tempfile.TemporaryDirectory() as tmp:
        cfg = _checked(config(folder, {"name": "mlp"}, list(VIEWS), 0), Path(tmp) / "lr")
        splits = build_splits(cfg)
        kind = config_kind(cfg)
        assert splits.test is not None
        X_tr = kind.encode(splits.train)[:, :, 0]
        if splits.valid is not None:  # no early stopping: fit on every training sample
            X_tr = np.vstack([X_tr, kind.encode(splits.valid)[:, :, 0]])
        y_tr = np.array(
            [
                label == "AD"
                for label in splits.train.labels + (splits.valid.labels if splits.valid else [])
            ],
            dtype=int,
        )
        X_te = kind.encode(splits.test)[:, :, 0]
        truth = np.array([label == "AD" for label in splits.test.labels], dtype=int)
    model = LogisticRegression(C=1.0, max_iter=5000).fit(X_tr, y_tr)
    score = model.predict_proba(X_te)[:, 1]
    return truth, score, (score >= 0.5).astype(int)


MLP = {"name": "mlp", "hidden": 64, "layers": 1, "dropout": 0.5, "norm": "batch"}


def models() -> list[tuple[str, dict[str, Any], list[str]]]:
    rows = [(f"`mlp`, {v} only", MLP, [v]) for v in VIEWS]
    base = {"name": "multiview", "hidden": 64, "layers": 1, "dropout": 0.5, "norm": "batch"}
    rows += [
        ("`multiview` early (concatenated)", {**base, "fusion": "early"}, list(VIEWS)),
        ("`multiview` late (mean of logits)", {**base, "fusion": "late"}, list(VIEWS)),
        ("`multiview` attention", {**base, "fusion": "attention"}, list(VIEWS)),
    ]
    return rows


def fmt(values: list[float]) -> str:
    if len(values) == 1:
        return f"{values[0]:.3f}"
    return f"{np.mean(values):.3f} ± {np.std(values, ddof=1):.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None, help="keep the prepared TSVs here")
    args = parser.parse_args()
    start = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        folder = prepare(args.out or Path(tmp) / "rosmap")
        table = []
        for name, model, views in models():
            per: dict[str, list[float]] = {"accuracy": [], "f1": [], "auroc": []}
            ci: dict[str, tuple[float, float]] = {}
            for seed in range(args.seeds):
                out = Path(tmp) / f"run_{len(table)}_{seed}"
                truth, score, pred = scores_of(config(folder, model, views, seed), out)
                for k, v in metrics(truth, score, pred).items():
                    per[k].append(v)
                if seed == 0:
                    ci = bootstrap(truth, score, pred)
            table.append((name, per, ci, args.seeds))
        truth, score, pred = logistic(folder)
        table.append(
            (
                "logistic regression (C=1), 3 views concatenated",
                {k: [v] for k, v in metrics(truth, score, pred).items()},
                bootstrap(truth, score, pred),
                1,
            )
        )
    print(f"ROSMAP AD vs NC, given split (245 train / 106 test); {args.seeds} seeds\n")
    print("| model | seeds | accuracy | F1 | AUROC | seed-1 95 % CI (acc / F1 / AUROC) |")
    print("|---|---|---|---|---|---|")
    for name, per, ci, n in table:
        cis = " / ".join(f"[{ci[k][0]:.2f}, {ci[k][1]:.2f}]" for k in ("accuracy", "f1", "auroc"))
        print(
            f"| {name} | {n} | {fmt(per['accuracy'])} | {fmt(per['f1'])} | "
            f"{fmt(per['auroc'])} | {cis} |"
        )
    print(
        f"| MOGONET (Wang et al. 2021, published, transductive GCN + VCDN) | - | "
        f"{MOGONET['accuracy']} | {MOGONET['f1']} | {MOGONET['auroc']} | - |"
    )
    print(f"\n{time.time() - start:.0f} s")


if __name__ == "__main__":
    main()
