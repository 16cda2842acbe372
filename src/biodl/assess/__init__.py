"""Fitness-for-use assessment of a trained model (``biodl assess``).

Design. A trained model is only as good as the data it saw and the way it was tested.
An assessment asks eleven questions of one run directory, each answered by a *check*:
a plain function ``check(inputs: AssessInputs, *, ...) -> Item``. :class:`AssessInputs`
holds the data split by split as the model saw them (sequences as read, targets,
groups, the model's logits, genomic intervals) and the model; an :class:`Item` is a
flag (green/amber/red, or not_assessed when the check could not run) with its stated
rule, one sentence and the values. Checks never read files and never print: the
loader (:func:`load_inputs`) builds the inputs once, :func:`assess` runs the checks in
a fixed order (data quantity, leakage, representation, noise, baseline, calibration,
subgroups, applicability, compute, privacy, provenance) and
:func:`biodl.report.write_assessment` renders ``assessment.json``, ``report.html`` and
``model_card.md`` (:mod:`biodl.report.assessment`).

Examples
--------
>>> import numpy as np
>>> view = SplitView(ids=("a", "b"), sequences=("ACGT", "GGCC"), y=np.array([[1.0], [0.0]]))
>>> inputs = AssessInputs(task="binary", alphabet="dna", outputs=("1",), splits={"train": view})
>>> result = assess(inputs, checks={})
>>> len(result.items), result.items[-1].key
(11, 'provenance')
"""

from __future__ import annotations

# the check functions are bound here after their modules are imported, so that the
# package attribute ``leakage`` is the function, not the module of the same name
from biodl.assess.applicability import applicability, write_domain_tsv
from biodl.assess.baseline import baseline
from biodl.assess.calibration import calibration, fit_temperature
from biodl.assess.compute import compute
from biodl.assess.core import ITEM_ORDER, Assessment, assess
from biodl.assess.leakage import leakage
from biodl.assess.load import load_inputs
from biodl.assess.noise import noise
from biodl.assess.privacy import privacy
from biodl.assess.provenance import provenance
from biodl.assess.quantity import data_quantity
from biodl.assess.representation import representation
from biodl.assess.subgroups import subgroups
from biodl.assess.types import FLAGS, AssessInputs, Flag, Item, SplitView, worst_flag

__all__ = [
    "FLAGS",
    "ITEM_ORDER",
    "AssessInputs",
    "Assessment",
    "Flag",
    "Item",
    "SplitView",
    "applicability",
    "assess",
    "baseline",
    "calibration",
    "compute",
    "data_quantity",
    "fit_temperature",
    "leakage",
    "load_inputs",
    "noise",
    "privacy",
    "provenance",
    "representation",
    "subgroups",
    "worst_flag",
    "write_domain_tsv",
]
