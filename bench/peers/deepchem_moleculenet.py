"""DeepChem 2.8.0 on biodl's MoleculeNet split files: GraphConv and an ECFP random forest.

Runs in DeepChem's own venv (``bench/peers/setup_deepchem.sh``), started by
``bench/moleculenet.py --peer deepchem`` once per dataset; it imports nothing from
biodl. By hand::

    OMP_NUM_THREADS=1 bench/out/venv-deepchem/bin/python bench/peers/deepchem_moleculenet.py \\
        --csv ../shared/data/moleculenet/chemprop_format/delaney.csv --dataset esol \\
        --smiles-column smiles --targets logp --task regression \\
        --split "random s0=bench/out/moleculenet_splits/esol_random_s0.tsv" \\
        --out bench/out/moleculenet_deepchem_esol.json

Data: the CSV is read with the :mod:`csv` module; a split file's id is the 0-based data
row (row ``i`` is line ``i + 2``), and only the rows the split file names are used, in
its three parts. Nothing is downloaded (no ``dc.molnet`` loader). SMILES are the CSV's
own strings; DeepChem featurises them (``ConvMolFeaturizer()`` for GraphConv,
``CircularFingerprint(radius=2, size=1024)``, i.e. ECFP4 bits, for the forest) into
``dc.data.NumpyDataset`` s. A missing label (empty cell, Tox21) gets weight 0.

Models (DeepChem's own classes, their defaults unless stated):

* ``GraphConvModel(n_tasks, mode=...)``: defaults ``graph_conv_layers=[64, 64]``,
  ``dense_layer_size=128``, ``dropout=0``, ``batch_size=100``, Adam at 1e-3 (TensorFlow
  / Keras 2 through ``tf_keras``; DeepChem 2.8's GraphConvModel exists only in TF).
  As MoleculeNet's loaders do, regression targets are standardised with DeepChem's
  ``NormalizationTransformer`` (fit on train; predictions transformed back) and
  classification train weights are balanced with ``BalancingTransformer`` (fit on
  train). Epochs by validation: one epoch at a time, up to ``--max-epochs`` (100),
  the valid split's metric (RMSE, or mean ROC-AUC) after every epoch; the test split is
  scored with the weights of the best valid epoch; training stops after
  ``--patience`` (20) epochs without a better valid score. (A patience of 10 stopped
  ESOL at epoch 6 on a noisy 113-molecule valid set, RMSE 1.62; DeepChem's examples
  train GraphConv 50-100 epochs.)
  ``tf.random.set_seed`` and ``numpy.random.seed`` take the split's seed (0 for the
  deterministic split).
* RF: ``SklearnModel(RandomForestRegressor|Classifier(n_estimators=500,
  random_state=seed, n_jobs=1))`` on the fingerprints, trained on train only (valid
  unused); for several tasks (Tox21), one forest per task on the rows labelled for it.

Metrics, test split: RMSE (regression); ROC-AUC (classification), for several tasks
the mean over the tasks, each over its labelled rows (a task with one class only in
the test split is left out and counted in ``tasks_scored``).

Output: a JSON list, one row per split and model: ``dataset, split, seed (null for the
deterministic scaffold split), model, metric, value, seconds`` (train + predict, not
featurisation), ``valid_value``, ``best_epoch`` and ``epochs`` (GraphConv), sizes, and
the versions; rewritten after every row so a stopped run keeps what it finished.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")  # tf.keras = Keras 2 (tf_keras)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import numpy as np


def read_rows(path: Path, smiles_column: str, targets: list[str]) -> tuple[list[str], np.ndarray]:
    """SMILES and ``(N, T)`` float labels (NaN = missing) of every data row."""
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = [h.strip() for h in next(reader)]
        s_col = header.index(smiles_column)
        t_cols = [header.index(t) for t in targets]
        smiles: list[str] = []
        labels: list[list[float]] = []
        for row in reader:
            smiles.append(row[s_col].strip())
            labels.append([float(row[c]) if row[c].strip() else math.nan for c in t_cols])
    return smiles, np.asarray(labels, dtype=np.float64).reshape(len(smiles), len(targets))


def read_split(path: Path) -> dict[str, np.ndarray]:
    """Row indices of train, valid and test in a ``id<TAB>split`` file."""
    parts: dict[str, list[int]] = {"train": [], "valid": [], "test": []}
    with open(path, encoding="utf-8") as fh:
        if fh.readline().rstrip("\r\n") != "id\tsplit":
            raise SystemExit(f"{path}: expected the header 'id<TAB>split'")
        for line in fh:
            if line.strip():
                mol_id, name = line.rstrip("\r\n").split("\t")
                parts[name].append(int(mol_id))
    return {k: np.asarray(v, dtype=np.int64) for k, v in parts.items()}


def rmse(y: np.ndarray, p: np.ndarray) -> float:
    mask = ~np.isnan(y)
    return float(np.sqrt(np.mean((y[mask] - p[mask]) ** 2)))


def mean_auc(y: np.ndarray, p: np.ndarray) -> tuple[float, int]:
    """Mean ROC-AUC over tasks (labelled rows only) and the number of tasks scored."""
    from sklearn.metrics import roc_auc_score

    aucs = []
    for t in range(y.shape[1]):
        mask = ~np.isnan(y[:, t])
        if len(np.unique(y[mask, t])) == 2:
            aucs.append(roc_auc_score(y[mask, t], p[mask, t]))
    return (float(np.mean(aucs)) if aucs else math.nan), len(aucs)


def positive_scores(pred: np.ndarray, n: int, n_tasks: int) -> np.ndarray:
    """``(n, T)`` probability of class 1 from a DeepChem classifier's output."""
    pred = np.asarray(pred)
    if pred.ndim == 3:  # (n, T, 2)
        return pred[:, :, 1]
    if pred.ndim == 2 and n_tasks == 1 and pred.shape[1] == 2:  # (n, 2)
        return pred[:, 1:2]
    return pred.reshape(n, n_tasks)


def dataset(dc: Any, x: Any, y: np.ndarray, rows: np.ndarray) -> Any:
    yy = y[rows]
    w = (~np.isnan(yy)).astype(np.float64)
    return dc.data.NumpyDataset(X=x[rows], y=np.nan_to_num(yy, nan=0.0), w=w)


def graphconv(
    dc: Any, x: Any, y: np.ndarray, split: dict[str, np.ndarray], task: str, seed: int, args: Any
) -> dict[str, Any]:
    import tensorflow as tf

    tf.random.set_seed(seed)
    np.random.seed(seed)
    n_tasks = y.shape[1]
    train = dataset(dc, x, y, split["train"])
    if task == "regression":
        trans = dc.trans.NormalizationTransformer(transform_y=True, dataset=train)
    else:
        trans = dc.trans.BalancingTransformer(dataset=train)
    train = trans.transform(train)
    valid = dataset(dc, x, y, split["valid"])
    test = dataset(dc, x, y, split["test"])
    y_valid, y_test = y[split["valid"]], y[split["test"]]
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as model_dir:
        model = dc.models.GraphConvModel(n_tasks, mode=task, model_dir=model_dir)

        def predict(ds: Any) -> np.ndarray:
            if task == "regression":
                return np.asarray(model.predict(ds, [trans])).reshape(len(ds), n_tasks)
            return positive_scores(model.predict(ds), len(ds), n_tasks)

        best: tuple[float, int, float] | None = None  # valid, epoch, test
        history = []
        epoch = 0
        for epoch in range(1, args.max_epochs + 1):
            model.fit(train, nb_epoch=1, checkpoint_interval=0)
            if task == "regression":
                v = rmse(y_valid, predict(valid))
                better = best is None or v < best[0]
            else:
                v = mean_auc(y_valid, predict(valid))[0]
                better = best is None or v > best[0]
            history.append(round(v, 5))
            if better:
                p_test = predict(test)
                score = rmse(y_test, p_test) if task == "regression" else mean_auc(y_test, p_test)
                best = (v, epoch, score if isinstance(score, float) else score[0])
                tasks_scored = None if task == "regression" else score[1]
            elif best is not None and epoch - best[1] >= args.patience:
                break
    assert best is not None
    return {
        "model": "GraphConv",
        "value": best[2],
        "valid_value": best[0],
        "best_epoch": best[1],
        "epochs": epoch,
        "valid_history": history,
        "tasks_scored": tasks_scored,
        "seconds": round(time.perf_counter() - start, 2),
    }


def forest(
    dc: Any, x: np.ndarray, y: np.ndarray, split: dict[str, np.ndarray], task: str, seed: int
) -> dict[str, Any]:
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

    n_tasks = y.shape[1]
    tr, te = split["train"], split["test"]
    start = time.perf_counter()
    pred = np.full((len(te), n_tasks), np.nan)
    for t in range(n_tasks):
        rows = tr[~np.isnan(y[tr, t])]
        if task == "regression":
            est: Any = RandomForestRegressor(n_estimators=500, random_state=seed, n_jobs=1)
        else:
            est = RandomForestClassifier(n_estimators=500, random_state=seed, n_jobs=1)
        model = dc.models.SklearnModel(est)
        model.fit(dc.data.NumpyDataset(X=x[rows], y=y[rows, t]))
        out = np.asarray(model.predict(dc.data.NumpyDataset(X=x[te])))
        if task == "regression":
            pred[:, t] = out.reshape(len(te))
        else:
            pred[:, t] = positive_scores(out, len(te), 1)[:, 0]
    y_test = y[te]
    if task == "regression":
        value, scored = rmse(y_test, pred), None
    else:
        value, scored = mean_auc(y_test, pred)
    return {
        "model": "RF",
        "value": value,
        "tasks_scored": scored,
        "seconds": round(time.perf_counter() - start, 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--csv", required=True, type=Path)
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--smiles-column", default="smiles")
    parser.add_argument("--targets", required=True, help="comma list")
    parser.add_argument("--task", choices=["regression", "classification"], required=True)
    parser.add_argument("--split", action="append", required=True, metavar="LABEL=FILE")
    parser.add_argument("--max-epochs", type=int, default=100)
    parser.add_argument("--patience", type=int, default=20)
    parser.add_argument("--models", default="GraphConv,RF")
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args()

    import deepchem as dc
    import sklearn
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    versions = {"deepchem": dc.__version__, "tensorflow": tf.__version__}
    versions["scikit-learn"] = sklearn.__version__
    models = {m.strip() for m in args.models.split(",")}

    targets = [t.strip() for t in args.targets.split(",")]
    smiles, y = read_rows(args.csv, args.smiles_column, targets)
    splits = []
    for item in args.split:
        label, _, path = item.partition("=")
        splits.append((label, Path(path), read_split(Path(path))))
    used = np.unique(np.concatenate([np.concatenate(list(s.values())) for _, _, s in splits]))
    start = time.perf_counter()
    conv = np.empty(len(smiles), dtype=object)
    ecfp = np.zeros((len(smiles), 1024), dtype=np.float32)
    conv[used] = list(dc.feat.ConvMolFeaturizer().featurize([smiles[i] for i in used]))
    ecfp[used] = dc.feat.CircularFingerprint(radius=2, size=1024).featurize(
        [smiles[i] for i in used]
    )
    bad = [int(i) for i in used if not hasattr(conv[i], "get_atom_features")]
    if bad:
        raise SystemExit(f"DeepChem could not featurise rows {bad[:10]} of {args.csv}")
    featurise_s = time.perf_counter() - start
    print(f"{args.dataset}: {len(used)} molecules featurised in {featurise_s:.1f} s", flush=True)

    rows: list[dict[str, Any]] = []
    for label, path, split in splits:
        tag = label.split()[-1]
        seed = None if tag == "det" else int(tag.lstrip("s"))
        base = {
            "dataset": args.dataset,
            "split": label,
            "split_file": str(path),
            "seed": seed,
            "metric": "RMSE" if args.task == "regression" else "ROC-AUC",
            "n_train": len(split["train"]),
            "n_valid": len(split["valid"]),
            "n_test": len(split["test"]),
            "featurise_seconds": round(featurise_s, 2),
            "versions": versions,
        }
        for name in ("GraphConv", "RF"):
            if name not in models:
                continue
            if name == "GraphConv":
                res = graphconv(dc, conv, y, split, args.task, seed or 0, args)
            else:
                res = forest(dc, ecfp, y, split, args.task, seed or 0)
            rows.append({**base, **res})
            extra = ""
            if "best_epoch" in res:
                extra = f", best epoch {res['best_epoch']}/{res['epochs']}"
            print(
                f"{args.dataset} {label} {name}: {base['metric']} {res['value']:.4f} "
                f"({res['seconds']:.0f} s{extra})",
                flush=True,
            )
            args.out.write_text(json.dumps(rows, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
