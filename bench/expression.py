"""Expression matrices: the ``mlp`` and ``dae`` zoo models next to scikit-learn logistic
regression and a linear SVM fitted on the same preprocessed features.

Part ``split`` (standard train/test splits): Golub (ALL/AML), without and with per-sample
quantile normalisation (``examples/golub_mlp_quantile.yaml``; chosen on principle, the
independent set being another batch, never on the test set), and SRBCT.

Each data set is read and preprocessed by biodl exactly as ``biodl train`` does
(``examples/golub_mlp.yaml``, ``examples/srbct_mlp.yaml``: the pipeline fitted on the
training samples only); the baselines are fitted on the encoded training split and
scored on the encoded test split. The MLP is trained with ``seeds`` seeds; the table
gives each seed's count and the mean. Accuracy CIs are Wilson 95 % intervals.

Part ``cv`` (``expression_microarray``: DLBCL, prostate, brain tumour; no standard split):
``repeats`` x stratified K-fold CV (5 folds; 4 for the brain tumour set, whose smallest
class has 4 samples), the same folds for every model. In each fold the preprocessing
(:func:`biodl.encode.matrix.fit_pipeline`: clip to [20, 16000], log2, the 100 genes of
largest training F, standardise) is fitted on the training fold alone and applied to the
held-out fold; the linear models are also run with per-sample ``quantile`` normalisation
added before the selection. ``mlp`` and ``dae`` are trained by :func:`biodl.train.fit`
(fixed epochs, no validation split, as a 2+-class softmax), ``dae`` after its
unsupervised pre-training on the training fold. Mean ± SD over the folds.

Run: ``OMP_NUM_THREADS=1 python bench/expression.py [--part split|cv|all] [--seeds 5]
[--repeats 3]`` (a few CPU minutes; needs ../shared/data beside the repository and
scikit-learn).
"""

from __future__ import annotations

import argparse
import math
import tempfile
from pathlib import Path
from typing import Any

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
    "Golub ALL/AML + per-sample quantile": (
        ROOT / "examples" / "golub_mlp_quantile.yaml",
        "as above",
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


def split_part(seeds: int) -> None:
    """Standard train/test splits (Golub, SRBCT)."""
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
            for seed in range(seeds):
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
                f"biodl mlp ({seeds} seeds: {', '.join(map(str, counts))})",
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


MICROARRAY = ROOT.parent / "shared" / "data" / "expression_microarray"
AFFY_STEPS: list[Any] = [
    {"threshold": {"floor": 20, "ceiling": 16000}},
    {"log2": {"offset": 0}},
    {"select": {"method": "f_test", "k": 100}},
    "standardize",
]
QUANTILE_STEPS: list[Any] = [*AFFY_STEPS[:2], "quantile", *AFFY_STEPS[2:]]
CV_SETS = {
    "DLBCL (58 DLBCL / 19 FL)": (
        "04_DLBCL.tab.gz",
        (),
        5,
        (
            "~90 %+ CV accuracy typical (as commonly cited); SOURCE.md sanity: linear SVM "
            "0.884 ± 0.070 (10x4-fold, k=100)"
        ),
    ),
    "prostate (52 tumour / 50 normal)": (
        "05_prostata.tab.gz",
        ("t",),  # the unexplained 't' column (SOURCE.md) is dropped
        5,
        (
            "~90 %+ CV accuracy typical (as commonly cited); SOURCE.md sanity: linear SVM "
            "0.935 ± 0.039"
        ),
    ),
    "brain tumour (5 classes, 40)": (
        "08_braintumor.tab.gz",
        (),
        4,
        (
            "Pomeroy 2002 ~35/42 = 83 % on data set A (as commonly cited, other samples); "
            "SOURCE.md sanity: linear SVM 0.810 ± 0.109"
        ),
    ),
}
DEEP = {
    "mlp": {"hidden": 32, "layers": 1, "dropout": 0.5, "norm": "layer"},
    "dae": {
        "hidden": 128,
        "layers": 1,
        "bottleneck": 16,
        "dropout": 0.5,
        "noise": "mask",
        "noise_level": 0.2,
        "pretrain_epochs": 100,
    },
}
DEEP_TRAIN = {
    "max_epochs": 60,
    "batch_size": 16,
    "learning_rate": 1e-3,
    "weight_decay": 1e-4,
    "progress_bar": False,
    "accelerator": "cpu",
}


def _deep_predict(
    name: str,
    X_tr: np.ndarray,
    y_tr: np.ndarray,
    X_te: np.ndarray,
    classes: list[str],
    seed: int,
) -> np.ndarray:
    """Train zoo model ``name`` on one fold (dae: pre-trained first) and predict labels."""
    import lightning as L

    from biodl.config import TrainConfig
    from biodl.models import ModelIO, create_model, predict, pretrain_unsupervised
    from biodl.tasks import Multiclass
    from biodl.train import fit

    task = Multiclass(classes=tuple(classes))
    index = {c: i for i, c in enumerate(classes)}
    targets = task.training_targets(np.array([index[c] for c in y_tr]))
    io = ModelIO(
        n_channels=X_tr.shape[1], input_length=1, n_outputs=len(classes), alphabet="matrix"
    )
    L.seed_everything(seed, workers=True, verbose=False)
    model = create_model(name, DEEP[name], io=io)
    pretrain_unsupervised(model, X_tr[:, :, None])
    config = TrainConfig.model_validate({**DEEP_TRAIN, "seed": seed})
    result = fit(model, (X_tr[:, :, None], targets), None, config=config, task=task)
    model.load_state_dict(result.state_dict)
    scores = task.scores(predict(model, X_te[:, :, None]))
    return np.array([classes[i] for i in scores.argmax(axis=1)])


def cv_part(repeats: int) -> None:
    """Repeated stratified K-fold CV on DLBCL, prostate and brain tumour."""
    import logging
    import time

    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import balanced_accuracy_score, f1_score
    from sklearn.model_selection import RepeatedStratifiedKFold
    from sklearn.svm import LinearSVC

    from biodl.encode.matrix import fit_pipeline
    from biodl.io.matrix import read_matrix

    logging.getLogger("lightning").setLevel(logging.ERROR)
    logging.getLogger("lightning.pytorch").setLevel(logging.ERROR)
    for title, (file, skip, k, published) in CV_SETS.items():
        start = time.perf_counter()
        m = read_matrix(
            MICROARRAY / file, format="tsv", skip_rows=2, skip_columns=skip, annotations=["class"]
        )
        X, y = m.values.astype(np.float64), np.array(m.annotations["class"])
        classes = sorted(set(y.tolist()))
        multi = len(classes) > 2
        folds = RepeatedStratifiedKFold(n_splits=k, n_repeats=repeats, random_state=0)
        models = [
            "logistic regression (C=1)",
            "linear SVM (C=0.01)",
            "logistic regression (C=1) + quantile",
            "linear SVM (C=0.01) + quantile",
            "biodl mlp",
            "biodl dae",
        ]
        scores: dict[str, list[tuple[float, float, float]]] = {name: [] for name in models}
        for f, (tr, te) in enumerate(folds.split(X, y)):
            encoded = {}
            for tag, steps in (("", AFFY_STEPS), (" + quantile", QUANTILE_STEPS)):
                pipe = fit_pipeline(X[tr], m.features, steps, labels=list(y[tr]))
                encoded[tag] = (
                    pipe.transform(X[tr], m.features),
                    pipe.transform(X[te], m.features),
                )
            for name in models:
                tag = " + quantile" if name.endswith("quantile") else ""
                X_tr, X_te = encoded[tag]
                if name.startswith("logistic"):
                    predicted = (
                        LogisticRegression(C=1.0, max_iter=5000).fit(X_tr, y[tr]).predict(X_te)
                    )
                elif name.startswith("linear SVM"):
                    predicted = LinearSVC(C=0.01, max_iter=20000).fit(X_tr, y[tr]).predict(X_te)
                else:
                    predicted = _deep_predict(name.split()[-1], X_tr, y[tr], X_te, classes, f)
                truth = y[te]
                scores[name].append(
                    (
                        float(np.mean(predicted == truth)),
                        float(balanced_accuracy_score(truth, predicted)),
                        float(f1_score(truth, predicted, average="macro")),
                    )
                )
        n_folds = k * repeats
        print(
            f"\n### {title}: {repeats} x stratified {k}-fold CV ({n_folds} folds), "
            f"{len(y)} samples, {X.shape[1]} genes ({time.perf_counter() - start:.0f} s)\n"
        )
        head = "| model | accuracy | balanced accuracy |" + (" macro F1 |" if multi else "")
        print(head + " published / reference |")
        print("|---|---|---|" + ("---|" if multi else "") + "---|")
        for i, name in enumerate(models):
            a = np.array(scores[name])
            cells = [
                f"{a[:, j].mean():.3f} ± {a[:, j].std(ddof=1):.3f}"
                for j in range(3 if multi else 2)
            ]
            print(f"| {name} | " + " | ".join(cells) + f" | {published if i == 0 else ''} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["split", "cv", "all"], default="all")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if args.part in ("split", "all"):
        split_part(args.seeds)
    if args.part in ("cv", "all"):
        cv_part(args.repeats)


if __name__ == "__main__":
    main()
