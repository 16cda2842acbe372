"""Expression matrices: Golub (ALL/AML) and SRBCT with the ``mlp`` zoo model, next to
scikit-learn logistic regression and a linear SVM fitted on the same preprocessed features.

Each data set is read and preprocessed by biodl exactly as ``biodl train`` does
(``examples/golub_mlp.yaml``, ``examples/srbct_mlp.yaml``: the pipeline fitted on the
training samples only); the baselines are fitted on the encoded training split and
scored on the encoded test split. The MLP is trained with ``seeds`` seeds; the table
gives each seed's count and the mean. Accuracy CIs are Wilson 95 % intervals.

Run: ``OMP_NUM_THREADS=1 python bench/expression.py [--seeds 5]`` (about a minute on CPU;
needs ../shared/data beside the repository and scikit-learn).
"""

from __future__ import annotations

import argparse
import math
import tempfile
from pathlib import Path

import numpy as np

from biodl.config import config_to_dict
from biodl.data import build_splits
from biodl.models import predict_with_auxiliary
from biodl.runs import load_run
from biodl.tasks import task_from_meta
from biodl.workflows import train_run
from biodl.workflows.common import config_kind, load_checked

ROOT = Path(__file__).resolve().parents[1]
SETS = {
    "Golub ALL/AML (38 train / 34 test)": (
        ROOT / "examples" / "golub_mlp.yaml",
        (
            "Golub et al. 1999: 29/34 strong predictions all correct; later methods 31-34/34 "
            "(>= 33/34 is the target)"
        ),
    ),
    "SRBCT 4 classes (63 train / 20 test)": (
        ROOT / "examples" / "srbct_mlp.yaml",
        "Khan et al. 2001 ANN ensemble: 20/20",
    ),
}


def wilson(correct: int, total: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of a proportion."""
    if total == 0:
        return (math.nan, math.nan)
    p = correct / total
    centre = (p + z * z / (2 * total)) / (1 + z * z / total)
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / (1 + z * z / total)
    return (max(0.0, centre - half), min(1.0, centre + half))


def cell(correct: int, total: int) -> str:
    lo, hi = wilson(correct, total)
    return f"{correct}/{total} | {correct / total:.3f} [{lo:.2f}, {hi:.2f}]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import LinearSVC

    rows = []
    for name, (path, published) in SETS.items():
        config = load_checked(path)
        splits = build_splits(config)
        assert splits.test is not None
        kind = config_kind(config)
        X_train = kind.encode(splits.train)[:, :, 0]
        X_test = kind.encode(splits.test)[:, :, 0]
        y_train, y_test = np.array(splits.train.labels), np.array(splits.test.labels)
        n = len(y_test)
        for label, model in (
            ("logistic regression (C=1)", LogisticRegression(C=1.0, max_iter=5000)),
            ("linear SVM (C=0.01)", LinearSVC(C=0.01, max_iter=20000)),
        ):
            model.fit(X_train, y_train)
            correct = int((model.predict(X_test) == y_test).sum())
            rows.append((name, label, cell(correct, n), ""))
        counts = []
        with tempfile.TemporaryDirectory() as tmp:
            for seed in range(args.seeds):
                raw = config_to_dict(config)
                raw["train"]["seed"] = seed
                raw["train"]["progress_bar"] = False
                raw["evaluate"] = {"n_bootstrap": 0}
                run = train_run(raw, Path(tmp) / f"run{seed}")
                loaded = load_run(run.out)
                task = task_from_meta(loaded.meta)
                logits, _ = predict_with_auxiliary(loaded.model, kind.encode(splits.test))
                scores = task.scores(logits)
                if scores.ndim == 2 and scores.shape[1] > 1:  # multiclass: argmax
                    classes = loaded.meta["labels"]["classes"]
                    predicted = np.array([classes[i] for i in scores.argmax(axis=1)])
                else:
                    labels = loaded.meta["labels"]
                    cut = float(loaded.meta.get("threshold") or 0.5)
                    predicted = np.where(
                        scores.reshape(-1) >= cut, labels["positive"], labels["negative"]
                    )
                right = int((predicted == y_test).sum())
                counts.append(right)
        mean = float(np.mean(counts))
        rows.append(
            (
                name,
                f"biodl mlp ({args.seeds} seeds: {', '.join(map(str, counts))})",
                (
                    f"{mean:.1f}/{n} (mean) | {mean / n:.3f} "
                    f"[{wilson(round(mean), n)[0]:.2f}, {wilson(round(mean), n)[1]:.2f}]"
                ),
                published,
            )
        )
    print("| data | model | test correct/total | accuracy [95% CI] | published |")
    print("|---|---|---|---|---|")
    for data, model, result, published in rows:
        print(f"| {data} | {model} | {result} | {published} |")


if __name__ == "__main__":
    main()
