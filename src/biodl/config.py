"""Run configuration: a YAML file validated strictly.

A configuration names the task, the data sources, the model and the training options.
Unknown keys and values of the wrong type are errors (:class:`biodl.errors.ConfigError`)
that name the key and its line in the file. Relative paths are resolved against the
folder that holds the configuration file.

Examples
--------
A minimal configuration (paths relative to the config file):

.. code-block:: yaml

    task: binary
    data:
      train:
        table: train.tsv.gz
        sequence: seq
        label: Bound
        negatives: {shuffle: dinucleotide, per_positive: 1}
      valid: {fraction: 0.1}
      test: {table: test.tsv.gz, sequence: seq, label: Bound}
    model: {name: deepbind}
    train: {max_epochs: 30, seed: 1}

A top-level ``split: {homology: 0.3}`` is shorthand for ``data.homology: {identity: 0.3}``
(homology-aware fraction splits and ``biodl cv`` folds, proteins); the run directory's
``config.yaml`` records the long form.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    PrivateAttr,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)

from biodl.encode import EncodingName
from biodl.errors import ConfigError
from biodl.tasks import (
    TASK_NAMES,
    THRESHOLD_RULES,
    Multilabel,
    Regression,
    TaskName,
    ThresholdRule,
    output_name_problem,
    task_class,
)

__all__ = [
    "MEMORY_TABLE",
    "AugmentConfig",
    "BedSource",
    "BlockSplit",
    "ChromosomeSplit",
    "Config",
    "CpgSource",
    "DataConfig",
    "EvaluateConfig",
    "FastaSource",
    "FingerprintOptions",
    "FractionSplit",
    "HomologyConfig",
    "MatrixSource",
    "MatrixView",
    "ModelConfig",
    "MoleculeSource",
    "MultiViewSource",
    "NegativesConfig",
    "PileupSource",
    "PreprocessStep",
    "RegionSplit",
    "ResidueSource",
    "ScaffoldSplit",
    "SearchParam",
    "Source",
    "SplitSpec",
    "TableSource",
    "TrackSource",
    "TrainConfig",
    "TuneConfig",
    "config_from",
    "config_line",
    "config_to_dict",
    "load_config",
    "parse_config",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class NegativesConfig(_Strict):
    """Negatives generated from the positives of a source.

    ``shuffle: dinucleotide`` keeps every dinucleotide count of each positive
    (Altschul-Erickson), as DeepBind did; ``mononucleotide`` keeps only base counts;
    ``segments`` is DeePromoter's: ``replaced`` of ``segments`` parts of each positive are
    replaced by random bases.
    """

    shuffle: Literal["dinucleotide", "mononucleotide", "segments"] = "dinucleotide"
    per_positive: int = Field(default=1, ge=1, le=100)
    segments: int = Field(default=20, ge=1)
    replaced: int = Field(default=12, ge=0)


class TableSource(_Strict):
    """A TSV/CSV table (plain or gzip) with named columns.

    ``columns`` names the columns of a file that has no header line. ``label`` is one
    column (binary, multi-class) or a list of columns, one per output (multi-label 0/1,
    regression values; an empty cell or ``NA``/``NaN`` is a missing value that is left
    out of the loss and the metrics). With ``per_position: true`` at the top of the
    configuration each label cell holds one comma-separated value per position.
    """

    table: str
    sequence: str = "sequence"
    label: str | list[str] | None = None
    id: str | None = None
    group: str | None = None
    chrom: str | None = None
    fold: str | None = None
    sep: str | None = None
    columns: list[str] | None = Field(default=None, min_length=1)
    negatives: NegativesConfig | None = None
    label_map: dict[str, str] | None = None
    _memory: Any = PrivateAttr(default=None)

    @property
    def memory(self) -> Any:
        """The in-memory table read instead of the file ``table`` names
        (:class:`biodl.data.sources.MemoryTable`, set by :meth:`with_memory`), else ``None``."""
        return self._memory

    def with_memory(self, table: Any) -> TableSource:
        """A copy whose rows come from ``table`` (a :class:`biodl.data.sources.MemoryTable`),
        with ``table:`` set to :data:`MEMORY_TABLE`; the column options are kept."""
        copy = self.model_copy(update={"table": MEMORY_TABLE})
        copy._memory = table
        return copy


MEMORY_TABLE = "<in memory>"
"""The ``table:`` of a source whose rows were given in memory (``train_run(..., data=...)``);
``config.yaml`` of such a run records it in place of a file name."""


class FastaSource(_Strict):
    """FASTA input: ``{label: file}`` (one file per class) or one file plus ``labels``.

    ``labels`` is a two-column table (id, label; tab or comma separated, no header
    needed) that gives the label of each record of the single FASTA file. Instead,
    ``header_label`` reads the label from each record's header: ``second_word`` (the word
    after the id) or ``deeploc`` (DeepLoc's ``>ACC Location-M``: the second word up to its
    last ``-``; the membrane flag after it, ``M``/``S``/``U``, becomes the group).
    ``label_map`` (any source) renames labels after reading, e.g. to merge classes.
    """

    fasta: dict[str, str] | str
    labels: str | None = None
    header_label: Literal["second_word", "deeploc"] | None = None
    negatives: NegativesConfig | None = None
    label_map: dict[str, str] | None = None


class BedSource(_Strict):
    """Intervals ``{label: BED file}`` cut from an indexed reference ``genome``."""

    bed: dict[str, str]
    genome: str
    length: int = Field(ge=1)
    centre: Literal["summit", "midpoint"] = "summit"
    negatives: NegativesConfig | None = None


class CpgSource(_Strict):
    """Single-cell CpG methylation profiles ``{cell: file}`` (DeepCpG's input).

    Each file has three columns, chromosome, position and methylation state (0/1 or a
    rate binarised at 0.5; see :func:`biodl.io.read_cpg_profile`). Every site observed in
    at least one cell is an example; output ``c`` is its state in cell ``c`` (missing
    where that cell has no observation). The input packs, for every cell, the states and
    distances of the ``window`` nearest observed CpGs on each side (never the site itself)
    and, when ``genome`` is given, the one-hot DNA of ``dna_length`` bases centred on the
    site (:mod:`biodl.data.cpg`). Needs ``task: multilabel`` and ``data.encoding: cpg``.
    """

    cpg: dict[str, str] = Field(min_length=1)
    window: int = Field(default=25, ge=1)
    max_distance: int = Field(default=25_000, ge=1)
    genome: str | None = None
    dna_length: int = Field(default=0, ge=0)


class ResidueSource(_Strict):
    """Per-residue labels in ScanNet's format (:func:`biodl.io.read_residue_labels`):
    one file, or ``{fold: file}`` whose keys become each chain's cross-validation fold.

    Needs ``task: multilabel`` (0/1 labels) or ``regression`` with ``per_position: true``;
    ``output`` names the single per-residue output.
    """

    residues: dict[str, str] | str
    output: str = "site"


class MatrixSource(_Strict):
    """An expression matrix (:mod:`biodl.io.matrix`): samples x features values.

    ``format``: ``csv``, ``tsv``, ``gct`` (Broad) or ``h5ad`` (AnnData, ``biodl[anndata]``);
    by default from the file name. ``orientation`` (tables): ``samples_by_features`` (one
    line per sample; ``sample_id`` names the id column, else samples are numbered 1, 2...
    in file order) or ``features_by_samples`` (one line per feature, ``feature_id`` its
    column, default the first; sample ids in the header). ``skip_columns`` are ignored
    (every column of each name), ``skip_rows`` lines after the header too.

    Labels: ``label`` names a column of the ``labels`` table (id column ``label_id``,
    default the first), else of the matrix's own text columns (samples by features) or of
    ``obs`` (h5ad). ``split`` names a column (same places) with ``train``/``valid``/``test``
    per sample, dividing a training source. A matrix sample without a label is an error;
    so is a labelled sample missing from the matrix, unless ``unmatched_labels: ignore``
    (one label table for several files, as Golub's ``actual.csv``).

    ``format: maf`` (or a ``.maf``/``.maf.gz`` file): somatic mutations read into a
    samples x genes matrix (:func:`biodl.io.matrix.read_maf`); labels come from a
    ``labels`` table. ``maf_value``: ``binary`` (default, 1 where the sample has a counted
    mutation in the gene) or ``count``; ``maf_classes``: the ``Variant_Classification``
    values that count (default: the non-silent ones, ``Missense_Mutation``,
    ``Nonsense_Mutation``, ``Frame_Shift_Del``/``Ins``, ``In_Frame_Del``/``Ins``,
    ``Splice_Site``, ``Translation_Start_Site``, ``Nonstop_Mutation``);
    ``maf_sample_chars``: cut ``Tumor_Sample_Barcode`` to its first characters (TCGA: 12
    the patient, 15 the sample). These keys are for MAF files only, and the table keys
    (``orientation``, ``sep``, ``sample_id``, ``feature_id``, ``skip_columns``,
    ``skip_rows``) do not apply to them.
    """

    matrix: str
    format: Literal["csv", "tsv", "gct", "h5ad", "maf"] | None = None
    orientation: Literal["samples_by_features", "features_by_samples"] = "samples_by_features"
    sep: str | None = None
    sample_id: str | None = None
    feature_id: str | None = None
    skip_columns: list[str] = Field(default_factory=list)
    skip_rows: int = Field(default=0, ge=0)
    labels: str | None = None
    label_id: str | None = None
    label: str | None = None
    split: str | None = None
    unmatched_labels: Literal["error", "ignore"] = "error"
    label_map: dict[str, str] | None = None
    maf_value: Literal["binary", "count"] | None = None
    maf_classes: list[str] | None = Field(default=None, min_length=1)
    maf_sample_chars: int | None = Field(default=None, ge=1)

    @property
    def is_maf(self) -> bool:
        """Whether the matrix is a MAF file (``format: maf``, or a ``.maf``/``.maf.gz``
        file name without ``format``)."""
        if self.format is not None:
            return self.format == "maf"
        name = self.matrix.lower()
        return name.endswith(".maf") or name.endswith(".maf.gz")

    def maf_problem(self) -> tuple[str, str] | None:
        """``(key, message)`` of the first option that does not fit the matrix format:
        a ``maf_*`` key without a MAF file, or a table key with one; else ``None``."""
        if not self.is_maf:
            for key in ("maf_value", "maf_classes", "maf_sample_chars"):
                if getattr(self, key) is not None:
                    shown = self.format or "not a .maf file"
                    return key, f"{key} is only for MAF files (format: maf); this matrix is {shown}"
            return None
        given = {
            "orientation": self.orientation != "samples_by_features",
            "sep": self.sep is not None,
            "sample_id": self.sample_id is not None,
            "feature_id": self.feature_id is not None,
            "skip_columns": bool(self.skip_columns),
            "skip_rows": bool(self.skip_rows),
        }
        for key, used in given.items():
            if used:
                return key, (
                    f"{key} does not apply to MAF files (samples are Tumor_Sample_Barcode, "
                    "genes Hugo_Symbol; leave it out)"
                )
        classes = self.maf_classes or []
        if any(not c.strip() for c in classes) or len(set(classes)) != len(classes):
            return (
                "maf_classes",
                "maf_classes: give distinct, non-empty Variant_Classification values",
            )
        return None


class _NoOptions(_Strict):
    pass


class Log2Options(_Strict):
    """``log2(x + offset)``."""

    offset: float = Field(default=1.0, ge=0.0)


class ThresholdOptions(_Strict):
    """Clip values to ``[floor, ceiling]`` (either may be left out)."""

    floor: float | None = None
    ceiling: float | None = None

    @model_validator(mode="after")
    def _ordered(self) -> ThresholdOptions:
        if self.floor is None and self.ceiling is None:
            raise ValueError("give 'floor', 'ceiling' or both")
        if self.floor is not None and self.ceiling is not None and self.floor >= self.ceiling:
            raise ValueError(f"'floor' ({self.floor}) must be below 'ceiling' ({self.ceiling})")
        return self


class VarianceOptions(_Strict):
    """Keep the ``top`` features of largest training variance, or those of variance at
    least ``min``."""

    top: int | None = Field(default=None, ge=1)
    min: float | None = Field(default=None, ge=0.0)

    @model_validator(mode="after")
    def _one(self) -> VarianceOptions:
        if (self.top is None) == (self.min is None):
            raise ValueError("give one of 'top' or 'min'")
        return self


class SelectOptions(_Strict):
    """Keep the ``k`` features that best separate the training classes: by one-way ANOVA
    F (``f_test``), absolute Welch t (``t_test``, two classes) or the largest |coefficient|
    of an L1-penalised logistic regression (``l1``, inverse penalty ``C``, default 1;
    ``C`` is for ``l1`` only)."""

    method: Literal["f_test", "t_test", "l1"] = "f_test"
    k: int = Field(ge=1)
    C: float | None = Field(default=None, gt=0.0)

    @model_validator(mode="after")
    def _c_for_l1(self) -> SelectOptions:
        if self.C is not None and self.method != "l1":
            raise ValueError(f"'C' is an option of method: l1, not {self.method}")
        return self


class PreprocessStep(_Strict):
    """One step of ``data.preprocess`` (expression matrices), written as a name
    (``log1p``, ``standardize``) or a one-key mapping (``log2: {offset: 1}``,
    ``threshold: {floor: 20, ceiling: 16000}``, ``variance: {top: 1000}``,
    ``select: {method: f_test, k: 100}``), or a per-sample normalisation
    (``center_samples``, ``scale_samples``, ``quantile``: each sample on its own, so
    nothing leaks between samples; put them before ``variance``/``select``). Fitted on
    the training split only (:mod:`biodl.encode.matrix`).

    ``select`` methods: ``f_test`` (one-way ANOVA F), ``t_test`` (absolute Welch t, two
    classes) and ``l1`` (``select: {method: l1, k: 50, C: 0.1}``): an L1-penalised
    logistic regression (liblinear; one-vs-rest for several classes) on the training
    samples, each feature standardised first, keeps the ``k`` features of largest
    |coefficient| (the largest over classes), ties and zeros ranked by F; ``C`` (default
    1, ``l1`` only) is the inverse penalty: smaller keeps fewer non-zero coefficients."""

    log1p: _NoOptions | None = None
    log2: Log2Options | None = None
    threshold: ThresholdOptions | None = None
    variance: VarianceOptions | None = None
    standardize: _NoOptions | None = None
    select: SelectOptions | None = None
    center_samples: _NoOptions | None = None
    scale_samples: _NoOptions | None = None
    quantile: _NoOptions | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {value: {}}
        if isinstance(value, Mapping):
            return {k: ({} if v is None else v) for k, v in value.items()}
        return value

    @model_validator(mode="after")
    def _exactly_one(self) -> PreprocessStep:
        given = [k for k in type(self).model_fields if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "each preprocessing step is one of "
                f"{', '.join(type(self).model_fields)} (got {', '.join(given) or 'none'})"
            )
        return self

    def as_spec(self) -> dict[str, Any]:
        """``{name: options}`` (:func:`biodl.encode.matrix.normalise_steps`'s input)."""
        for name in type(self).model_fields:
            options = getattr(self, name)
            if options is not None:
                return {name: options.model_dump(exclude_none=True)}
        raise AssertionError("unreachable")  # pragma: no cover


class MatrixView(_Strict):
    """One view (omics layer) of a multi-view source: a matrix file read as a
    ``matrix:`` source reads it (same keys), with its own ``preprocess`` steps fitted on
    the training samples of this view alone (default: ``data.preprocess``)."""

    matrix: str
    format: Literal["csv", "tsv", "gct", "h5ad"] | None = None
    orientation: Literal["samples_by_features", "features_by_samples"] = "samples_by_features"
    sep: str | None = None
    sample_id: str | None = None
    feature_id: str | None = None
    skip_columns: list[str] = Field(default_factory=list)
    skip_rows: int = Field(default=0, ge=0)
    preprocess: list[PreprocessStep] | None = None


class MultiViewSource(_Strict):
    """Several matrices (views: mRNA, methylation, miRNA...) joined by sample id.

    ``views`` maps a view name (letters, digits, ``_``, ``-``) to a :class:`MatrixView`;
    the order is the order of the views' features in the model input. Labels and split
    as in a ``matrix:`` source: ``label`` (and ``split``) name a column of the ``labels``
    table (id column ``label_id``), else a text column of one of the matrices.
    ``missing_samples: error`` (default) stops at a sample absent from a view, naming the
    sample and the view; ``drop`` keeps only the samples present in every view.
    """

    views: dict[str, MatrixView] = Field(min_length=1)
    labels: str | None = None
    label_id: str | None = None
    label: str | None = None
    split: str | None = None
    missing_samples: Literal["error", "drop"] = "error"
    unmatched_labels: Literal["error", "ignore"] = "error"
    label_map: dict[str, str] | None = None

    @model_validator(mode="after")
    def _view_names(self) -> MultiViewSource:
        for name in self.views:
            if not name or not all(c.isalnum() or c in "_-" for c in name):
                raise ValueError(f"view name {name!r}: use letters, digits, '_' and '-' only")
        return self


class MoleculeSource(_Strict):
    """Small molecules (:mod:`biodl.io.molecules`): a CSV/TSV table with a SMILES
    column, or an SDF file (``.sdf``, ``.sdf.gz``), plain or gzip.

    ``smiles`` names the SMILES column (default: one named ``smiles``, ``mol`` or
    ``canonical_smiles``, any case). ``label`` is one column (binary 0/1, regression) or
    a list, one per output (multi-label 0/1, e.g. Tox21's 12 assays, or several
    regression targets); an empty cell or ``NA`` is a missing value, left out of the loss
    and the metrics (a binary task needs every label). In an SDF file the columns are SD
    properties. ``id`` names the id column (default ``line N``, the file line).
    ``split`` names a column with ``train``/``valid``/``test`` per molecule, or
    ``split_file`` a file of ``id<TAB>split`` lines (:func:`biodl.data.scaffold.
    write_split_file`), dividing a training source; ``data.invalid: skip`` leaves out
    (and lists) the molecules RDKit rejects.
    """

    molecules: str
    smiles: str | None = None
    label: str | list[str] | None = None
    id: str | None = None
    sep: str | None = None
    split: str | None = None
    split_file: str | None = None
    label_map: dict[str, str] | None = None

    @model_validator(mode="after")
    def _one_split(self) -> MoleculeSource:
        if self.split is not None and self.split_file is not None:
            raise ValueError("give split (a column) or split_file, not both")
        if isinstance(self.label, list) and (
            not self.label or len(set(self.label)) != len(self.label)
        ):
            raise ValueError("label lists each column once, at least one")
        return self


class FingerprintOptions(_Strict):
    """Morgan (ECFP) fingerprints of ``data.featurizer: morgan``: ``radius`` (2 gives
    ECFP4), ``bits`` and ``counts`` (bit counts instead of 0/1)."""

    radius: int = Field(default=2, ge=0, le=6)
    bits: int = Field(default=2048, ge=16)
    counts: bool = False


class PileupSource(_Strict):
    """Aligned reads for variant calling (DeepVariant-style; :mod:`biodl.data.pileup`):
    an indexed BAM (``reads``), the reference FASTA (``genome``), and for training and
    evaluation a truth VCF (``truth``) with its confident regions (``confident``, BED).

    Candidates are the positions where at least ``min_alt_reads`` reads (of MAPQ at
    least ``min_mapping_quality``, bases of quality at least ``min_base_quality``) carry
    an SNV or an indel of at most ``max_indel_length`` bp, at an allele fraction of at
    least ``min_snv_fraction`` / ``min_indel_fraction`` (DeepVariant's defaults), searched
    in ``candidate_regions`` (a BED file, or a list of ``chrom:start-end`` regions, 1-based
    inclusive as samtools writes them; default every contig of the reads). Without
    ``confident`` every candidate is labelled from the truth (one that is not in it is
    ``hom_ref``), so the searched regions must lie where the truth set is complete. Each
    candidate
    becomes a ``(6, height, width)`` pileup (rows: 5 reference rows and the reads;
    channels: base, base quality, mapping quality, strand, supports the allele, differs
    from the reference) labelled ``hom_ref``, ``het`` or ``hom_alt`` from the truth;
    candidates outside the confident regions are left out. Contig names are reconciled
    between the files (``20`` and ``chr20``). Needs ``task: multiclass``.
    """

    reads: str
    genome: str
    truth: str
    confident: str | None = None
    candidate_regions: str | list[str] | None = None
    min_alt_reads: int = Field(default=2, ge=1)
    min_snv_fraction: float = Field(default=0.12, ge=0.0, le=1.0)
    min_indel_fraction: float = Field(default=0.06, ge=0.0, le=1.0)
    min_base_quality: int = Field(default=10, ge=0)
    min_mapping_quality: int = Field(default=5, ge=0)
    max_indel_length: int = Field(default=50, ge=1)
    height: int = Field(default=100, ge=6)
    width: int = Field(default=61, ge=1)

    @model_validator(mode="after")
    def _odd_width(self) -> PileupSource:
        if self.width % 2 == 0:
            raise ValueError(f"width must be odd (the candidate in the middle), not {self.width}")
        return self


class TrackSource(_Strict):
    """Signal tracks (bigWig or bedGraph) over windows of a reference genome: the targets
    of coverage and profile models (``task: regression`` with ``per_position: true``).

    Windows of ``length`` bases are cut from ``genome`` at ``stride`` (default
    ``length``) along every ``regions`` interval (a BED; intervals shorter than
    ``length`` give one centred window), or along every chromosome of the genome when
    ``regions`` is absent (every excerpt of an excerpt genome: a FASTA of
    ``chrom:start-end`` records, see :class:`biodl.io.Genome`); ``chromosomes`` limits
    both. Each track is summed (``aggregate: sum``, Basenji), averaged or maximised in
    ``bin_size``-base bins (``length`` must be a multiple of it), clipped at ``clip``,
    then transformed (``log1p`` or ``sqrt``); the run records all of it. Windows
    overlapping a ``blacklist`` BED are dropped (``blacklist_action: drop``) or keep
    NaN (unknown, left out of the loss) in the bins they overlap (``mask``); windows
    with more than ``max_n_fraction`` unknown bases are dropped. Chromosome names of the
    tracks and BED files are matched to the genome's (``chr1``/``1``, ``chrM``/``MT``).
    ``tracks``: a list of files (named by their file names) or a mapping name → file.
    """

    tracks: dict[str, str] | list[str] = Field(min_length=1)
    genome: str
    length: int = Field(ge=1)
    regions: str | None = None
    stride: int | None = Field(default=None, ge=1)
    chromosomes: list[str] | None = Field(default=None, min_length=1)
    bin_size: int = Field(default=1, ge=1)
    aggregate: Literal["sum", "mean", "max"] = "sum"
    clip: float | None = Field(default=None, gt=0)
    transform: Literal["none", "log1p", "sqrt"] = "none"
    blacklist: str | None = None
    blacklist_action: Literal["drop", "mask"] = "drop"
    max_n_fraction: float = Field(default=0.1, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _bins_fit(self) -> TrackSource:
        if self.length % self.bin_size:
            raise ValueError(
                f"length ({self.length}) must be a multiple of bin_size ({self.bin_size})"
            )
        return self

    def track_files(self) -> dict[str, str]:
        """Track name → file, in the configured order (a list's names: the file names
        without the format's ending, :func:`biodl.io.tracks.track_name`)."""
        if isinstance(self.tracks, dict):
            return dict(self.tracks)
        from biodl.io.tracks import track_name

        out: dict[str, str] = {}
        for path in self.tracks:
            name = track_name(path)
            out[name if name not in out else path] = path
        return out


MATRIX_SOURCES = (MatrixSource, MultiViewSource)
"""Source classes of expression-matrix data (one matrix, or several views)."""


class FractionSplit(_Strict):
    """Hold out a stratified random fraction of the training source."""

    fraction: float = Field(gt=0.0, lt=1.0)


class ChromosomeSplit(_Strict):
    """Hold out every training example on the given chromosomes."""

    chromosomes: list[str] = Field(min_length=1)


class BlockSplit(_Strict):
    """Hold out a share of the genome in blocks of ``block_size`` bases (pileups): each
    block goes to one split by a seeded hash, and a candidate whose pileup window crosses
    into another split's block is left out, so no two windows of different splits
    overlap (:func:`biodl.data.pileup.block_split`)."""

    blocks: float = Field(gt=0.0, lt=1.0)
    block_size: int = Field(default=10_000, ge=1)


class RegionSplit(_Strict):
    """Test on the candidates whose pileup window lies inside the ``regions`` BED (e.g.
    the confident regions of a benchmark window); windows that cross a region edge are
    left out, and the rest of the genome trains (:func:`biodl.data.pileup.region_split`)."""

    regions: str


class ScaffoldSplit(_Strict):
    """Hold out a fraction of the training molecules by Bemis-Murcko scaffold, every
    scaffold on one side (:func:`biodl.data.scaffold.scaffold_split`).

    ``valid`` and ``test`` scaffold fractions are assigned together: MoleculeNet's
    (DeepChem's) rule fills train, then valid, then test with whole scaffold sets,
    largest first, so the rarest scaffolds are tested; ``balanced: true`` (on either,
    both the same) is chemprop's seeded variant that puts the sets larger than half a
    held-out share in train and shuffles the rest (``train.seed`` picks it).
    """

    scaffold: float = Field(gt=0.0, lt=1.0)
    balanced: bool = False


def _source_kind(value: Any) -> str | None:
    if isinstance(value, BaseModel):
        value = type(value).model_fields
    if isinstance(value, Mapping):
        for key in (
            "table",
            "fasta",
            "bed",
            "cpg",
            "residues",
            "matrix",
            "views",
            "molecules",
            "reads",
            "tracks",
            "fraction",
            "chromosomes",
            "scaffold",
            "blocks",
            "regions",
        ):
            if key in value:
                return key
    return None


Source = Annotated[
    Annotated[TableSource, Tag("table")]
    | Annotated[FastaSource, Tag("fasta")]
    | Annotated[BedSource, Tag("bed")]
    | Annotated[CpgSource, Tag("cpg")]
    | Annotated[ResidueSource, Tag("residues")]
    | Annotated[MatrixSource, Tag("matrix")]
    | Annotated[MultiViewSource, Tag("views")]
    | Annotated[MoleculeSource, Tag("molecules")]
    | Annotated[PileupSource, Tag("reads")]
    | Annotated[TrackSource, Tag("tracks")],
    Discriminator(_source_kind),
]
SplitSpec = Annotated[
    Annotated[TableSource, Tag("table")]
    | Annotated[FastaSource, Tag("fasta")]
    | Annotated[BedSource, Tag("bed")]
    | Annotated[CpgSource, Tag("cpg")]
    | Annotated[ResidueSource, Tag("residues")]
    | Annotated[MatrixSource, Tag("matrix")]
    | Annotated[MultiViewSource, Tag("views")]
    | Annotated[MoleculeSource, Tag("molecules")]
    | Annotated[TrackSource, Tag("tracks")]
    | Annotated[FractionSplit, Tag("fraction")]
    | Annotated[ChromosomeSplit, Tag("chromosomes")]
    | Annotated[ScaffoldSplit, Tag("scaffold")]
    | Annotated[BlockSplit, Tag("blocks")]
    | Annotated[RegionSplit, Tag("regions")],
    Discriminator(_source_kind),
]


class HomologyConfig(_Strict):
    """Homology-aware splitting (proteins): cluster at ``identity`` (identical aligned
    residues / shorter length, with ``coverage`` of both sequences) by single linkage,
    and keep each cluster on one side of every fraction split and CV fold
    (:mod:`biodl.data.homology`; MMseqs2 when on PATH, else Biopython alignments)."""

    identity: float = Field(default=0.3, gt=0.0, le=1.0)
    coverage: float = Field(default=0.8, ge=0.0, le=1.0)
    method: Literal["auto", "mmseqs", "python"] = "auto"


class DataConfig(_Strict):
    """Where the examples come from and how they are shaped.

    Sequences longer than ``length`` are cropped: ``crop: centre`` keeps the middle,
    ``crop: ends`` keeps the first ``length // 2`` and the last ``length - length // 2``
    letters (DeepLoc's first and last 500 residues of long proteins). ``encoding:
    blosum62`` (proteins) gives each residue its BLOSUM62 row instead of a one-hot column.
    ``encoding: unirep`` (proteins, ``biodl[unirep]``) gives each residue its 1900-unit
    UniRep state, ``unirep_mean`` one averaged vector per protein (``(H, 1)``);
    ``unirep256``/``unirep64`` (and ``_mean``) use the smaller published models.
    ``min_class_size: N`` (classification) drops the classes with fewer than ``N``
    examples in the training source before it is split (they are recorded in
    ``model.json``/``cv.json``); without it a class with a single example in a
    stratified split or stratified folds is an error.

    Molecules (``molecules:`` sources, ``biodl[chem]``): ``featurizer`` ``graph``
    (default; packed molecular graphs for ``dmpnn`` and ``gin``), ``morgan``
    (fingerprints, options in ``fingerprint``) or ``descriptors`` (RDKit's 2-D
    descriptors, ``asinh``-compressed), the last two for ``fingerprint_mlp``;
    ``invalid: skip`` leaves out the molecules RDKit rejects (counted and listed)
    instead of stopping at the first.
    """

    train: Source
    valid: SplitSpec | None = None
    test: SplitSpec | None = None
    alphabet: Literal["dna", "rna", "protein"] = "dna"
    length: int | None = Field(default=None, ge=1)
    pad_short: bool = False
    unknown: Literal["zero", "uniform"] = "zero"
    encoding: EncodingName = "onehot"
    crop: Literal["centre", "ends"] = "centre"
    ambiguous: Literal["error", "unknown"] = "error"
    homology: HomologyConfig | None = None
    min_class_size: int | None = Field(default=None, ge=2)
    preprocess: list[PreprocessStep] = Field(default_factory=list)
    featurizer: Literal["graph", "morgan", "descriptors"] = "graph"
    fingerprint: FingerprintOptions = Field(default_factory=FingerprintOptions)
    invalid: Literal["error", "skip"] = "error"


class ModelConfig(BaseModel):
    """``name`` picks the architecture from the registry; other keys are its options.

    The options are checked against the architecture's own parameter schema when the
    model is built, so an unknown option is an error there too.
    """

    model_config = ConfigDict(extra="allow", strict=True, frozen=True)

    name: str
    _checked: BaseModel | None = PrivateAttr(default=None)

    @property
    def params(self) -> dict[str, Any]:
        """The architecture options (every key but ``name``)."""
        return dict(self.model_extra or {})

    @property
    def checked(self) -> BaseModel | None:
        """The options validated against the architecture's schema, once, when the
        configuration was loaded for a job (see :meth:`with_checked`); else ``None``."""
        return self._checked

    def with_checked(self, params: BaseModel) -> ModelConfig:
        """A copy holding ``params``, these options validated by the model registry
        (:func:`biodl.models.validate_params`), so that jobs validate them only once."""
        copy = self.model_copy()
        copy._checked = params
        return copy


class AugmentConfig(_Strict):
    """Training-time augmentation (DNA/RNA): random reverse complement, random shifts."""

    reverse_complement: bool = False
    shift: int = Field(default=0, ge=0)


class TrainConfig(_Strict):
    """Optimisation and hardware options, passed to Lightning where they belong.

    ``threshold`` (binary and multi-label tasks) is the decision threshold the run keeps
    (``score >= threshold`` is positive): a number in ``(0, 1)``, or a rule that chooses
    it on the validation split after training (:func:`biodl.tasks.choose_threshold`):
    ``mcc`` (the default), ``f1`` or ``youden``. The default is ``mcc`` rather than 0.5
    because a model trained on imbalanced data without class weights scores most
    examples below 0.5, and at 0.5 calls them all negative (MCC 0 at AUROC 0.9); the
    cut with the best validation MCC separates the classes whatever their balance and
    is 0.5 itself when 0.5 is among the best cuts. Without a validation split, or
    without both classes in it, the threshold is 0.5 and the run's notes say why.
    ``evaluate.threshold`` is the older spelling of a number here (giving both is an
    error).

    ``scale_targets`` (regression with the mse loss): train on targets standardised by
    the training split's mean and SD per output, then fold the scaling into the output
    layer, so the saved model predicts in the targets' own units (chemprop does the
    same). Default: on for molecules, off for other inputs.

    ``loss`` (regression): ``mse`` (``auto``), ``poisson`` (the model predicts a log
    rate) or ``multinomial`` (``per_position: true`` only: BPNet's multinomial profile
    plus total-count loss, :func:`biodl.tasks.multinomial_loss`). ``count_weight``
    (``multinomial`` only): the weight of the count term; by default BPNet's rule, half
    the mean total count per window and track of the training targets
    (:func:`biodl.tasks.bpnet_count_weight`).

    ``weight_average`` keeps an average of the weights during training
    (:mod:`biodl.train.averaging`): ``none`` (the default), ``ema`` (an exponential
    moving average, updated after every optimiser step: ``a = ema_decay * a + (1 -
    ema_decay) * w``, starting from the weights after the first step) or ``swa``
    (stochastic weight averaging: the equal average of the weights at the end of every
    epoch from epoch ``swa_start``, 0-based). Batch-norm running statistics are averaged
    with the weights. Validation, early stopping, the best epoch, the decision threshold
    and the saved ``model.safetensors`` all use the averaged weights; training goes on
    from the raw ones. Before the average has anything in it (SWA before ``swa_start``)
    validation sees the raw weights, and early stopping may end training before
    ``swa_start``. ``ema_decay`` (``ema`` only; default 0.999, in ``(0, 1)``): the average
    remembers about ``1 / (1 - ema_decay)`` optimiser steps, so a run of few steps per
    epoch wants a smaller decay (e.g. 0.99). ``swa_start`` (``swa`` only; below
    ``max_epochs``): the first averaged epoch; by default ``max(warmup_epochs, 1)``
    (capped at ``max_epochs - 1``), leaving out the first epoch's weights, far from any
    minimum, and the warm-up's.
    """

    max_epochs: int = Field(default=30, ge=1)
    min_epochs: int = Field(default=1, ge=0)
    seed: int = 0
    batch_size: int = Field(default=128, ge=1)
    learning_rate: float = Field(default=1e-3, gt=0)
    weight_decay: float = Field(default=1e-6, ge=0)
    patience: int = Field(default=5, ge=1)
    lr_schedule: Literal["plateau", "cosine", "onecycle", "none"] = "plateau"
    lr_patience: int = Field(default=2, ge=1)
    warmup_epochs: int = Field(default=0, ge=0)
    monitor: Literal["valid_loss", "valid_auroc"] = "valid_loss"
    class_weight: Literal["none", "balanced"] = "none"
    sampler: Literal["shuffle", "balanced"] = "shuffle"
    accelerator: Literal["auto", "cpu", "gpu", "cuda", "mps"] = "auto"
    devices: int | Literal["auto"] = 1
    num_nodes: int = Field(default=1, ge=1)
    strategy: Literal["auto", "ddp", "ddp_spawn", "fsdp"] = "auto"
    precision: Literal["auto", "32", "bf16-mixed", "16-mixed"] = "auto"
    num_workers: int = Field(default=0, ge=0)
    deterministic: bool = True
    progress_bar: bool = True
    loss: Literal["auto", "mse", "poisson", "multinomial"] = "auto"
    count_weight: float | None = Field(default=None, ge=0)
    scale_targets: bool | None = None
    gradient_clip: float | None = Field(default=None, gt=0)
    augment: AugmentConfig = AugmentConfig()
    init_from: str | None = None
    ensemble: int = Field(default=1, ge=1, le=32)
    freeze_trunk: bool = False
    replace_head: bool = False
    threshold: float | ThresholdRule = "mcc"
    # after max_epochs and warmup_epochs, before their validators: they read those
    weight_average: Literal["none", "ema", "swa"] = "none"
    ema_decay: float | None = Field(default=None, gt=0.0, lt=1.0)
    swa_start: int | None = Field(default=None, ge=0)

    @field_validator("threshold", mode="before")
    @classmethod
    def _threshold(cls, value: Any) -> Any:
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if (number and 0.0 < value < 1.0) or value in THRESHOLD_RULES:
            return float(value) if number else value
        rules = ", ".join(THRESHOLD_RULES)
        raise ValueError(f"must be a number in (0, 1) or one of {rules}")

    @field_validator("ema_decay")
    @classmethod
    def _ema_only(cls, value: float | None, info: Any) -> float | None:
        if value is not None and info.data.get("weight_average") != "ema":
            raise ValueError("goes with weight_average: ema only")
        return value

    @field_validator("swa_start")
    @classmethod
    def _swa_only(cls, value: int | None, info: Any) -> int | None:
        if value is None:
            return value
        if info.data.get("weight_average") != "swa":
            raise ValueError("goes with weight_average: swa only")
        max_epochs = info.data.get("max_epochs")
        if isinstance(max_epochs, int) and value >= max_epochs:
            raise ValueError(f"must be below max_epochs ({max_epochs}), or no epoch is averaged")
        return value

    @property
    def ema_decay_value(self) -> float:
        """``ema_decay``, or its default 0.999."""
        return 0.999 if self.ema_decay is None else self.ema_decay

    @property
    def swa_start_epoch(self) -> int:
        """``swa_start``, or its default ``max(warmup_epochs, 1)`` (at most
        ``max_epochs - 1``)."""
        if self.swa_start is not None:
            return self.swa_start
        return min(max(self.warmup_epochs, 1), self.max_epochs - 1)


class EvaluateConfig(_Strict):
    """How metrics are computed.

    ``threshold`` (binary and multi-label): for ``biodl train``, the older spelling of a
    fixed ``train.threshold``; for ``biodl evaluate``, judge the run at this threshold
    instead of the one it recorded. Unset by default.
    """

    threshold: float | None = Field(default=None, gt=0.0, lt=1.0)
    n_bootstrap: int = Field(default=1000, ge=0)
    ci: float = Field(default=0.95, gt=0.0, lt=1.0)


class SearchParam(_Strict):
    """One dimension of a hyper-parameter search space (``biodl tune``).

    ``type: float`` or ``int``: a range ``[low, high]``, sampled on a log scale with
    ``log: true`` (int: in steps of ``step``); ``type: categorical``: one of ``choices``.

    Examples
    --------
    >>> SearchParam(type="float", low=1e-4, high=1e-2, log=True).describe()
    'float 0.0001..0.01 (log)'
    >>> SearchParam(type="categorical", choices=["max", "avg"]).describe()
    'one of max, avg'
    """

    type: Literal["float", "int", "categorical"]
    low: int | float | None = None
    high: int | float | None = None
    log: bool = False
    step: int | None = Field(default=None, ge=1)
    choices: list[str | int | float | bool] | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> SearchParam:
        if self.type == "categorical":
            if self.choices is None or self.low is not None or self.high is not None:
                raise ValueError("a categorical parameter takes 'choices' only")
            if self.log or self.step is not None:
                raise ValueError("a categorical parameter takes 'choices' only")
            return self
        if self.choices is not None or self.low is None or self.high is None:
            raise ValueError(f"a {self.type} parameter takes 'low' and 'high', not 'choices'")
        ints = all(isinstance(v, int) and not isinstance(v, bool) for v in (self.low, self.high))
        if self.type == "int" and not ints:
            raise ValueError("an int parameter needs integer 'low' and 'high'")
        if self.type == "float" and self.step is not None:
            raise ValueError("'step' is for int parameters")
        if not self.low < self.high:
            raise ValueError(f"'low' ({self.low}) must be below 'high' ({self.high})")
        if self.log and self.low <= 0:
            raise ValueError(f"a log range needs 'low' > 0 (got {self.low})")
        if self.log and self.step not in (None, 1):
            raise ValueError("a log int range cannot have a 'step'")
        return self

    def describe(self) -> str:
        """One short line, as ``biodl models`` prints it."""
        if self.type == "categorical":
            return "one of " + ", ".join(str(c) for c in self.choices or [])
        step = f" step {self.step}" if self.step not in (None, 1) else ""
        return f"{self.type} {self.low}..{self.high}{' (log)' if self.log else ''}{step}"


class TuneConfig(_Strict):
    """The hyper-parameter search of ``biodl tune`` (all keys optional).

    ``trials`` and ``timeout_s`` bound the search (``--trials``/``--timeout`` override
    them); ``metric`` is the validation metric to optimise (default: the task's headline
    metric); ``space`` replaces or adds dimensions of the model's declared search space
    (keys: the model's options or ``learning_rate``, ``weight_decay``, ``batch_size``);
    ``pruner: median`` stops a trial whose per-epoch validation metric falls below the
    median of earlier trials at the same epoch; ``seed`` seeds the TPE sampler (default
    ``train.seed``). ``ensemble: K`` (1 to 32, default 1; ``--ensemble`` overrides it)
    makes the final model ``OUT/best`` an ensemble of the ``K`` best complete trials,
    each retrained with its own options and averaged like ``train.ensemble``.
    """

    trials: int = Field(default=20, ge=1)
    timeout_s: float | None = Field(default=None, gt=0)
    metric: str | None = None
    space: dict[str, SearchParam] = Field(default_factory=dict)
    pruner: Literal["median", "none"] = "median"
    seed: int | None = None
    ensemble: int = Field(default=1, ge=1, le=32)


TASKS = TASK_NAMES


class Config(_Strict):
    """A whole run configuration (see the module docstring).

    ``task``:

    - ``binary``: one label column with two classes (``positive`` names one);
    - ``multiclass``: one label column with ``classes``;
    - ``multilabel``: several 0/1 outputs per example (a list of label columns, or a
      ``bed:`` mapping of one BED file per output), trained with a binary cross-entropy
      per output (``train.class_weight: balanced`` weighs each output's positives);
    - ``regression``: one or more real-valued outputs, trained with ``train.loss``
      ``mse`` (the default for ``auto``) or ``poisson`` (counts; the model predicts the
      log rate).

    ``per_position: true`` (multi-label or regression) makes every output a track with
    one value per position: the model needs a per-position head.

    ``outputs`` (binary, multi-label, regression) names the outputs for people, one name
    each: explain titles, ``score-variants`` INFO fields, report captions
    (:meth:`biodl.tasks.Task.named` has the rule without it; prediction columns keep
    their names).
    """

    task: TaskName
    positive: str | None = None
    classes: list[str] | None = Field(default=None, min_length=2)
    outputs: list[str] | None = Field(default=None, min_length=1)
    per_position: bool = False
    data: DataConfig
    model: ModelConfig
    train: TrainConfig = TrainConfig()
    evaluate: EvaluateConfig = EvaluateConfig()
    tune: TuneConfig | None = None
    base_dir: str = "."

    @field_validator("positive", mode="before")
    @classmethod
    def _label_as_text(cls, value: Any) -> Any:
        if isinstance(value, bool):
            return str(int(value))
        if isinstance(value, int | float):
            return str(int(value)) if float(value).is_integer() else str(value)
        return value

    def resolve(self, path: str) -> Path:
        """Resolve ``path`` against the configuration file's folder."""
        p = Path(os.path.expanduser(path))
        return p if p.is_absolute() else Path(self.base_dir) / p


def _line_of(node: yaml.Node | None, loc: tuple[str | int, ...]) -> int | None:
    """1-based line of the YAML key at ``loc`` (or of its deepest existing parent)."""
    line = None if node is None else node.start_mark.line + 1
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.value == str(part):
                    line = key_node.start_mark.line + 1
                    node = value_node
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                return line
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def _clean_loc(loc: tuple[str | int, ...], raw: Any) -> tuple[str | int, ...]:
    """Drop the union tags pydantic inserts into error locations."""
    out: list[str | int] = []
    node = raw
    dropped = False
    for part in loc:
        if not dropped and isinstance(node, Mapping) and _source_kind(node) == part:
            dropped = True  # the tag; the real key of the same name may follow
            continue
        dropped = False
        out.append(part)
        node = node.get(part) if isinstance(node, Mapping) else None
    return tuple(out)


def _describe(error: Mapping[str, Any], key: str) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return f"unknown key '{key}'"
    if kind == "missing":
        return f"missing required key '{key}'"
    if kind == "union_tag_not_found" or kind == "union_tag_invalid":
        return (
            f"'{key}' must be a mapping with one of: table, fasta, bed, cpg, residues, matrix, "
            "views (or, for valid/test, fraction or chromosomes)"
        )
    value = error.get("input")
    shown = repr(value) if not isinstance(value, Mapping | list) else type(value).__name__
    return f"'{key}': {error['msg'].lower()} (got {shown})"


def parse_config(
    raw: Any, *, base_dir: str | os.PathLike[str] = ".", path: str | None = None
) -> Config:
    """Validate a configuration already read from YAML.

    Parameters
    ----------
    raw
        The parsed YAML document (a mapping).
    base_dir
        Folder against which relative paths resolve.
    path
        The file name used in error messages.

    Raises
    ------
    ConfigError
        On an unknown key, a missing key or a value of the wrong type.
    """
    return _validate(raw, None, base_dir=base_dir, path=path)


def _expand_split(
    raw: Mapping[str, Any], root: yaml.Node | None, *, path: str | None
) -> Mapping[str, Any]:
    """``split: {homology: 0.3}`` is shorthand for ``data.homology: {identity: 0.3}``."""
    if "split" not in raw:
        return raw
    split = raw["split"]
    line = _line_of(root, ("split",))
    if not isinstance(split, Mapping) or set(split) != {"homology"}:
        msg = "split takes one key, homology: IDENTITY (e.g. split: {homology: 0.3})"
        raise ConfigError(msg, path=path, line=line)
    identity = split["homology"]
    number = isinstance(identity, int | float) and not isinstance(identity, bool)
    if not number or not 0.0 < identity <= 1.0:
        msg = f"split.homology must be an identity in (0, 1], not {identity!r}"
        raise ConfigError(msg, path=path, line=_line_of(root, ("split", "homology")) or line)
    data = raw.get("data")
    rest = {k: v for k, v in raw.items() if k != "split"}
    if not isinstance(data, Mapping):  # validation reports the missing or wrong data
        return rest
    if "homology" in data:
        msg = "homology splitting is given twice: keep split.homology or data.homology"
        raise ConfigError(msg, path=path, line=line)
    return {**rest, "data": {**data, "homology": {"identity": float(identity)}}}


def _validate(
    raw: Any, root: yaml.Node | None, *, base_dir: str | os.PathLike[str], path: str | None
) -> Config:
    if not isinstance(raw, Mapping):
        raise ConfigError("the configuration must be a YAML mapping", path=path, line=1)
    if "base_dir" in raw:
        raise ConfigError("unknown key 'base_dir'", path=path, line=_line_of(root, ("base_dir",)))
    raw = _expand_split(raw, root, path=path)
    try:
        config = Config.model_validate({**raw, "base_dir": os.fspath(Path(base_dir).resolve())})
    except ValidationError as exc:
        # an unknown key is most often a typo of the key reported missing: report it first
        errors = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
        first = errors[0]
        loc = _clean_loc(tuple(first["loc"]), raw)
        key = ".".join(str(p) for p in loc)
        more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
        raise ConfigError(
            _describe(first, key) + more, path=path, line=_line_of(root, loc)
        ) from None
    problem = _task_problem(config)
    if problem is not None:
        loc, text = problem
        raise ConfigError(text, path=path, line=_line_of(root, loc))
    return _threshold_alias(config, root, path=path)


def _threshold_alias(config: Config, root: yaml.Node | None, *, path: str | None) -> Config:
    """``evaluate.threshold: T`` is the older spelling of ``train.threshold: T`` (binary
    and multi-label; moved there, so ``config.yaml`` records the one home)."""
    given = config.evaluate.threshold
    if given is None or not task_class(config.task).binary_outputs:
        return config
    if "threshold" in config.train.model_fields_set:
        msg = (
            "the decision threshold is given twice: keep train.threshold "
            "(evaluate.threshold is its older spelling)"
        )
        raise ConfigError(msg, path=path, line=_line_of(root, ("evaluate", "threshold")))
    train = config.train.model_copy(update={"threshold": given})
    evaluate = config.evaluate.model_copy(update={"threshold": None})
    return config.model_copy(update={"train": train, "evaluate": evaluate})


def _task_problem(config: Config) -> tuple[tuple[str, ...], str] | None:
    """The first option that does not fit the task: ``(key path, message)``, or ``None``."""
    task, train = config.task, config.train
    kind = task_class(task)
    if train.warmup_epochs and train.lr_schedule not in ("cosine", "onecycle"):
        return ("train", "warmup_epochs"), (
            "train.warmup_epochs goes with lr_schedule: cosine or onecycle"
        )
    if train.ensemble > 1 and train.init_from is not None:
        return ("train", "ensemble"), "train.ensemble does not go with train.init_from"
    if train.warmup_epochs >= train.max_epochs:
        return ("train", "warmup_epochs"), (
            f"train.warmup_epochs ({train.warmup_epochs}) must be below max_epochs "
            f"({train.max_epochs})"
        )
    numeric = not kind.classification
    matrix_problem = (
        _matrix_problem(config)
        or _molecule_problem(config)
        or _pileup_problem(config)
        or _track_problem(config)
    )
    if matrix_problem is not None:
        return matrix_problem
    cpg = [
        s
        for s in (config.data.train, config.data.valid, config.data.test)
        if isinstance(s, CpgSource)
    ]
    if cpg or config.data.encoding == "cpg":
        if not isinstance(config.data.train, CpgSource) or config.data.encoding != "cpg":
            return ("data", "encoding"), (
                "CpG profiles ('cpg:' sources) go with data.encoding: cpg, and back"
            )
        if kind is not Multilabel:
            return ("task",), "CpG methylation sources need task: multilabel (one output per cell)"
        for source in cpg:
            if source.dna_length and source.genome is None:
                return ("data", "train", "dna_length"), "dna_length needs a 'genome'"
            if list(source.cpg) != list(config.data.train.cpg):
                return ("data",), "every CpG source must list the same cells in the same order"
        if train.augment.reverse_complement or train.augment.shift:
            return ("train", "augment"), "train.augment does not apply to CpG inputs"
    enc, alphabet = config.data.encoding, config.data.alphabet
    if ((enc == "blosum62" or enc.startswith("unirep")) and alphabet != "protein") or (
        enc in ("dinucleotide", "structure", "cpg") and alphabet == "protein"
    ):
        return ("data", "encoding"), (
            f"data.encoding: {config.data.encoding} does not fit data.alphabet: "
            f"{config.data.alphabet}"
        )
    if config.data.encoding == "structure":
        if config.data.alphabet == "protein":
            return ("data", "encoding"), "data.encoding: structure is for RNA or DNA sequences"
        if train.augment.reverse_complement or train.augment.shift:
            return ("train", "augment"), (
                "train.augment does not apply to data.encoding: structure (a reverse "
                "complement or a shift changes the fold)"
            )
    residue_sources = [
        s
        for s in (config.data.train, config.data.valid, config.data.test)
        if isinstance(s, ResidueSource)
    ]
    if residue_sources and (not numeric or not config.per_position):
        return ("per_position",), (
            "per-residue labels ('residues:' sources) need per_position: true and task "
            "multilabel or regression"
        )
    if any(s.output != residue_sources[0].output for s in residue_sources):
        return ("data",), "every 'residues:' source must name the same output"
    if config.per_position and not numeric:
        return ("per_position",), (
            "per_position: true needs task multilabel (0/1 per position) or regression"
        )
    if config.outputs is not None:
        problem = _outputs_problem(config)
        if problem is not None:
            return ("outputs",), problem
    if "threshold" in train.model_fields_set and not kind.binary_outputs:
        return ("train", "threshold"), (
            f"train.threshold is for binary and multilabel tasks, not {task}"
        )
    if train.loss == "multinomial" and not config.per_position:
        return ("train", "loss"), (
            "train.loss: multinomial (a profile over positions) needs per_position: true"
        )
    if train.count_weight is not None and train.loss != "multinomial":
        return ("train", "count_weight"), "train.count_weight is for train.loss: multinomial"
    if train.scale_targets and (kind is not Regression or train.loss in ("poisson", "multinomial")):
        return ("train", "scale_targets"), (
            "train.scale_targets is for task regression with the mse loss"
        )
    if train.scale_targets and config.per_position:
        return ("train", "scale_targets"), "train.scale_targets is not for per-position outputs"
    if train.loss != "auto" and kind is not Regression:
        return ("train", "loss"), f"train.loss '{train.loss}' is for task regression, not {task}"
    if kind is Regression:
        if train.monitor == "valid_auroc":
            return ("train", "monitor"), "train.monitor: valid_auroc needs a classification task"
        if train.class_weight != "none":
            return ("train", "class_weight"), "train.class_weight is for classification tasks"
    if numeric:
        if train.sampler == "balanced":
            return ("train", "sampler"), f"train.sampler: balanced is not defined for {task}"
        if config.positive is not None or config.classes is not None:
            key = "positive" if config.positive is not None else "classes"
            return (key,), f"'{key}' is for binary or multiclass tasks, not {task}"
        for split in ("train", "valid", "test"):
            spec = getattr(config.data, split)
            if isinstance(spec, FastaSource):
                return ("data", split), (
                    f"task {task} reads its outputs from a table with label columns "
                    "(or BED files for multilabel), not from FASTA"
                )
            if isinstance(spec, BedSource) and kind is not Multilabel:
                return ("data", split), f"BED sources give 0/1 outputs, not {task} values"
            if isinstance(spec, CpgSource | ResidueSource):
                continue
            if isinstance(spec, TableSource | FastaSource | BedSource) and spec.negatives:
                return ("data", split, "negatives"), "generated negatives are for binary tasks"
            if isinstance(spec, TableSource) and spec.label is None:
                return ("data", split), f"task {task} needs 'label' columns in each table"
        if config.per_position and isinstance(config.data.train, BedSource | CpgSource):
            return ("per_position",), "per-position outputs come from a table, not BED files"
    else:
        for split in ("train", "valid", "test"):
            spec = getattr(config.data, split)
            if isinstance(spec, TableSource) and isinstance(spec.label, list):
                return ("data", split, "label"), (
                    f"a list of label columns is for multilabel or regression, not {task}"
                )
    return None


def _multiview_problem(config: Config) -> tuple[tuple[str, ...], str] | None:
    """Why a multi-view (``views:``) configuration does not hold together, or ``None``."""
    train = config.data.train
    specs = {name: getattr(config.data, name) for name in ("valid", "test")}
    if not isinstance(train, MultiViewSource):
        for name, spec in specs.items():
            if isinstance(spec, MultiViewSource):
                return (
                    "data",
                    name,
                ), "a 'views:' valid/test source needs a 'views:' training source"
        return None
    for name, spec in specs.items():
        if spec is not None and not isinstance(spec, MultiViewSource | FractionSplit):
            return ("data", name), (
                f"data.{name} of a multi-view training source must be a 'views:' source "
                "or a fraction"
            )
        if isinstance(spec, MultiViewSource) and list(spec.views) != list(train.views):
            return ("data", name, "views"), (
                f"data.{name} has the views {', '.join(spec.views)}; the training source "
                f"has {', '.join(train.views)} (same names, same order)"
            )
        if spec is not None and train.split is not None:
            return ("data", name), (
                f"data.{name} is given twice: by the training source's split column "
                f"'{train.split}' and by data.{name}"
            )
    for name, spec in {"train": train, **specs}.items():
        if isinstance(spec, MultiViewSource):
            if spec.label is None:
                return ("data", name), "a 'views:' source needs 'label' (a column of labels)"
            for view, opts in spec.views.items():
                if opts.format in ("gct", "h5ad") and opts.orientation != "samples_by_features":
                    return ("data", name, "views", view, "orientation"), (
                        f"orientation is fixed by the {opts.format} format (leave it out)"
                    )
    return _matrix_task_problem(config, "multi-view matrices")


def _matrix_task_problem(config: Config, what: str) -> tuple[tuple[str, ...], str] | None:
    """Task and training options that a matrix configuration (``what``) cannot have."""
    if not task_class(config.task).classification:
        return ("task",), f"{what} support binary and multiclass tasks for now, not {config.task}"
    if config.per_position:
        return ("per_position",), "per_position does not apply to expression matrices"
    if config.data.homology is not None:
        return ("data", "homology"), "homology splits are for protein sequences"
    if config.train.augment.reverse_complement or config.train.augment.shift:
        return ("train", "augment"), "train.augment does not apply to expression matrices"
    return None


def _matrix_problem(config: Config) -> tuple[tuple[str, ...], str] | None:
    """Why an expression-matrix configuration does not hold together, or ``None``."""
    multiview = _multiview_problem(config)
    if multiview is not None:
        return multiview
    sources = {
        name: getattr(config.data, name)
        for name in ("train", "valid", "test")
        if isinstance(getattr(config.data, name), MatrixSource)
    }
    train = config.data.train
    if isinstance(train, MultiViewSource):
        return None
    if not sources:
        if config.data.preprocess:
            return ("data", "preprocess"), "data.preprocess is for expression matrices ('matrix:')"
        return None
    if not isinstance(train, MatrixSource):
        name = next(iter(sources))
        return ("data", name), "a 'matrix:' valid/test source needs a 'matrix:' training source"
    for name in ("valid", "test"):
        spec = getattr(config.data, name)
        if spec is not None and not isinstance(spec, MatrixSource | FractionSplit):
            return ("data", name), (
                f"data.{name} of a matrix training source must be a 'matrix:' source or a fraction"
            )
        if spec is not None and train.split is not None:
            return ("data", name), (
                f"data.{name} is given twice: by the training source's split column "
                f"'{train.split}' and by data.{name}"
            )
    for name, spec in sources.items():
        if spec.label is None:
            return ("data", name), "a 'matrix:' source needs 'label' (a column of labels or obs)"
        if spec.format in ("gct", "h5ad") and spec.orientation != "samples_by_features":
            return ("data", name, "orientation"), (
                f"orientation is fixed by the {spec.format} format (leave it out)"
            )
        maf = spec.maf_problem()
        if maf is not None:
            return ("data", name, maf[0]), maf[1]
    return _matrix_task_problem(config, "expression matrices")


def _molecule_problem(config: Config) -> tuple[tuple[str, ...], str] | None:
    """Why a molecule (``molecules:``) configuration does not hold together, or ``None``."""
    data = config.data
    train = data.train
    specs = {name: getattr(data, name) for name in ("valid", "test")}
    if not isinstance(train, MoleculeSource):
        for name, spec in specs.items():
            if isinstance(spec, MoleculeSource | ScaffoldSplit):
                what = (
                    "'molecules:' valid/test source"
                    if isinstance(spec, MoleculeSource)
                    else ("scaffold split")
                )
                return ("data", name), f"a {what} needs a 'molecules:' training source"
        for key, default in (("featurizer", "graph"), ("invalid", "error")):
            if getattr(data, key) != default:
                return ("data", key), f"data.{key} is for molecules ('molecules:' sources)"
        if data.fingerprint != FingerprintOptions():
            return ("data", "fingerprint"), "data.fingerprint is for molecules ('molecules:')"
        return None
    scaffolds = [spec for spec in specs.values() if isinstance(spec, ScaffoldSplit)]
    if len({spec.balanced for spec in scaffolds}) > 1:
        return ("data", "test", "balanced"), (
            "data.valid and data.test scaffold splits must agree on 'balanced'"
        )
    if sum(spec.scaffold for spec in scaffolds) >= 1.0:
        return ("data",), "the scaffold fractions of valid and test must sum below 1"
    for name, spec in specs.items():
        if spec is not None and not isinstance(
            spec, MoleculeSource | FractionSplit | ScaffoldSplit
        ):
            return ("data", name), (
                f"data.{name} of a molecule training source must be a 'molecules:' source, "
                "a fraction or a scaffold fraction"
            )
        given = train.split or train.split_file
        if spec is not None and given is not None:
            key = "split" if train.split is not None else "split_file"
            return ("data", name), (
                f"data.{name} is given twice: by the training source's {key} "
                f"'{given}' and by data.{name}"
            )
    kind = task_class(config.task)
    for name, spec in {"train": train, **specs}.items():
        if not isinstance(spec, MoleculeSource):
            continue
        if spec.label is None:
            return ("data", name), "a 'molecules:' source needs 'label' (the target column(s))"
        if isinstance(spec.label, list) and len(spec.label) > 1 and kind.classification:
            return ("data", name, "label"), (
                f"a list of label columns is for multilabel or regression, not {config.task}"
            )
        if name != "train" and (spec.split is not None or spec.split_file is not None):
            return ("data", name), "split and split_file divide the training source only"
    if config.per_position:
        return ("per_position",), "per_position does not apply to molecules"
    if data.homology is not None:
        return ("data", "homology"), "homology splits are for proteins; molecules use scaffolds"
    if data.preprocess:
        return ("data", "preprocess"), "data.preprocess is for expression matrices ('matrix:')"
    if config.train.augment.reverse_complement or config.train.augment.shift:
        return ("train", "augment"), "train.augment does not apply to molecules"
    if data.fingerprint != FingerprintOptions() and data.featurizer != "morgan":
        return ("data", "fingerprint"), "data.fingerprint goes with data.featurizer: morgan"
    return None


def _pileup_problem(config: Config) -> tuple[tuple[str, ...], str] | None:
    """Why a read-pileup (``reads:``) configuration does not hold together, or ``None``."""
    data = config.data
    specs = {name: getattr(data, name) for name in ("valid", "test")}
    if not isinstance(data.train, PileupSource):
        for name, spec in specs.items():
            if isinstance(spec, PileupSource | BlockSplit | RegionSplit):
                what = "reads" if isinstance(spec, PileupSource) else "blocks or regions"
                return ("data", name), f"data.{name} ({what}) needs a 'reads:' training source"
        return None
    if config.task != "multiclass":
        return ("task",), "reads (variant calling) need task: multiclass (hom_ref, het, hom_alt)"
    if config.classes is not None:
        return ("classes",), "the classes of variant calling are fixed: hom_ref, het, hom_alt"
    for name, spec in specs.items():
        if spec is not None and not isinstance(spec, BlockSplit | RegionSplit):
            return ("data", name), (
                f"data.{name} of a 'reads:' training source must be {{blocks: F}} or "
                "{regions: BED} (pileup windows of different splits must not overlap)"
            )
    if isinstance(specs["valid"], RegionSplit):
        return ("data", "valid"), "{regions: BED} is for data.test; use {blocks: F} for valid"
    blocks = [s for s in specs.values() if isinstance(s, BlockSplit)]
    if len({s.block_size for s in blocks}) > 1:
        return ("data", "test", "block_size"), "valid and test must use the same block_size"
    if sum(s.blocks for s in blocks) >= 1.0:
        return ("data",), "the block shares of valid and test must sum below 1"
    if data.homology is not None or data.preprocess or config.per_position:
        return ("data",), "homology, preprocess and per_position do not apply to reads"
    if config.train.augment.reverse_complement or config.train.augment.shift:
        return ("train", "augment"), "train.augment does not apply to read pileups"
    return None


def _track_problem(config: Config) -> tuple[tuple[str, ...], str] | None:
    """Why a signal-track (``tracks:``) configuration does not hold together, or ``None``."""
    data, train = config.data, config.data.train
    specs = {name: getattr(data, name) for name in ("valid", "test")}
    if not isinstance(train, TrackSource):
        for name, spec in specs.items():
            if isinstance(spec, TrackSource):
                return ("data", name), f"data.{name} (tracks) needs a 'tracks:' training source"
        return None
    if config.task != "regression" or not config.per_position:
        return ("task",), (
            "signal tracks ('tracks:' sources) need task: regression and per_position: true"
        )
    for name, spec in specs.items():
        if isinstance(spec, TrackSource):
            if list(spec.track_files()) != list(train.track_files()):
                return ("data", name, "tracks"), (
                    f"data.{name} must name the same tracks as the training source, in "
                    "the same order"
                )
            for key in ("length", "bin_size", "aggregate", "clip", "transform"):
                if getattr(spec, key) != getattr(train, key):
                    return ("data", name, key), (
                        f"data.{name}.{key} differs from the training source's: the "
                        "targets of all splits must be made the same way"
                    )
        elif isinstance(spec, FractionSplit) and (train.stride or train.length) < train.length:
            return ("data", name), (
                f"data.{name}: a random fraction of overlapping windows (stride "
                f"{train.stride} < length {train.length}) leaks sequence between splits; "
                "hold out whole chromosomes ({chromosomes: [...]}) instead"
            )
        elif spec is not None and not isinstance(spec, FractionSplit | ChromosomeSplit):
            return ("data", name), (
                f"data.{name} of a 'tracks:' training source must be a 'tracks:' source, "
                "{chromosomes: [...]} or {fraction: F}"
            )
    if data.length is not None and data.length != train.length:
        return ("data", "length"), (
            f"data.length ({data.length}) differs from the tracks' window length "
            f"({train.length}); leave data.length out"
        )
    if data.alphabet != "dna" or data.encoding != "onehot":
        return ("data", "alphabet"), "signal tracks are read over DNA one-hot windows"
    if data.homology is not None or data.preprocess:
        return ("data",), "homology and preprocess do not apply to signal tracks"
    shift = config.train.augment.shift
    if shift and shift < train.bin_size:
        return ("train", "augment", "shift"), (
            f"train.augment.shift ({shift}) is below bin_size ({train.bin_size}): targets "
            "move by whole bins, so no shift would happen"
        )
    return None


def _outputs_problem(config: Config) -> str | None:
    """Why ``outputs:`` does not fit the task and its outputs, or ``None``."""
    kind, source = task_class(config.task), config.data.train
    if kind.classification and not kind.binary_outputs:
        return (
            f"outputs: is for binary, multilabel and regression tasks; a {config.task} "
            "task's outputs are its classes"
        )
    n: int | None = None  # the number of outputs, where the configuration tells it
    if kind.classification or isinstance(source, ResidueSource):
        n = 1
    elif isinstance(source, TableSource | MoleculeSource) and source.label is not None:
        n = len(source.label) if isinstance(source.label, list) else 1
    elif isinstance(source, BedSource):
        n = len(source.bed)
    elif isinstance(source, CpgSource):
        n = len(source.cpg)
    elif isinstance(source, TrackSource):
        n = len(source.track_files())
    names = config.outputs or []
    return output_name_problem(names, len(names) if n is None else n)


class _DuplicateKeyError(yaml.YAMLError):
    """A mapping of the configuration gives one key twice (``line``: the second one)."""

    def __init__(self, key: str, line: int, first: int) -> None:
        super().__init__(f"duplicate key {key!r} (first given on line {first})")
        self.line = line


class _UniqueKeyLoader(yaml.SafeLoader):
    """A :class:`yaml.SafeLoader` that refuses a key given twice in one mapping.

    PyYAML keeps the last value of a repeated key silently; a configuration must not.
    """

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        node = super().compose_node(parent, index)
        if isinstance(node, yaml.MappingNode):
            seen: dict[object, int] = {}
            for key_node, _ in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    continue
                key = (key_node.tag, key_node.value)
                line = key_node.start_mark.line + 1
                if key in seen:
                    raise _DuplicateKeyError(str(key_node.value), line, seen[key])
                seen[key] = line
        return node


def _decode_yaml(data: bytes, path: Path) -> str:
    """The text of a configuration file; an undecodable byte is an error naming its line."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        msg = f"not UTF-8 text: byte 0x{data[exc.start]:02x} cannot be decoded"
        raise ConfigError(msg, path=path, line=line) from None


def load_config(path: str | os.PathLike[str]) -> Config:
    """Read and validate a YAML configuration file.

    Parameters
    ----------
    path
        The YAML file. Relative paths inside it resolve against its folder.

    Returns
    -------
    Config
        The validated, immutable configuration.

    Raises
    ------
    ConfigError
        If the file is missing, is not valid YAML, or does not validate.
    """
    p = Path(path)
    if not p.is_file():
        raise ConfigError("configuration file not found", path=p)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read the file: {exc.strerror or exc}", path=p) from None
    text = _decode_yaml(data, p)
    try:
        root = yaml.compose(text, Loader=_UniqueKeyLoader)
        raw = yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader
    except _DuplicateKeyError as exc:
        raise ConfigError(str(exc), path=p, line=exc.line) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = None if mark is None else mark.line + 1
        if isinstance(exc, yaml.reader.ReaderError):  # a control character: no mark
            line = text.count("\n", 0, exc.position) + 1
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"invalid YAML: {problem}", path=p, line=line) from None
    if raw is None:
        raise ConfigError("empty configuration file", path=p)
    return _validate(raw, root, base_dir=p.parent, path=os.fspath(p))


def config_from(
    config: str | os.PathLike[str] | Mapping[str, Any] | Config,
    *,
    memory_splits: tuple[str, ...] = (),
) -> Config:
    """A validated configuration from a YAML file, a mapping or a :class:`Config`.

    A mapping has the YAML's schema and is validated as strictly, with the same
    messages (without line numbers); its relative paths resolve against the current
    folder. ``memory_splits`` names the ``data`` splits (``train``, ``valid``, ``test``)
    whose rows are given in memory: their entry may then leave out ``table:`` (and
    ``data.train`` may be missing), and gets :data:`MEMORY_TABLE`.

    Examples
    --------
    >>> cfg = config_from({"task": "binary", "model": {"name": "deepbind"},
    ...                    "data": {"train": {"sequence": "seq", "label": "y"}}},
    ...                   memory_splits=("train",))
    >>> cfg.data.train.table, cfg.data.train.sequence
    ('<in memory>', 'seq')
    >>> config_from({"task": "binary", "model": {"name": "deepbind"}, "trian": {},
    ...              "data": {"train": {"table": "t.tsv"}}})
    Traceback (most recent call last):
    ...
    biodl.errors.ConfigError: unknown key 'trian'
    """
    if isinstance(config, Config):
        return config
    if isinstance(config, str | os.PathLike):
        return load_config(config)
    if not isinstance(config, Mapping):
        raise ConfigError(
            "the configuration must be a YAML file, a mapping or a biodl.config.Config, "
            f"not {type(config).__name__}"
        )
    raw = dict(config)
    data = raw.get("data")
    if memory_splits and (data is None or isinstance(data, Mapping)):
        data = dict(data or {})
        for split in memory_splits:
            entry = data.get(split)
            if entry is None and split == "train":
                entry = {}
            if isinstance(entry, Mapping) and _source_kind(entry) is None:
                data[split] = {"table": MEMORY_TABLE, **entry}
        raw["data"] = data
    return parse_config(raw, base_dir=Path.cwd())


def config_line(path: str | os.PathLike[str], key: tuple[str | int, ...]) -> int | None:
    """1-based line of ``key`` (e.g. ``("data", "train", "table")``) in a YAML file.

    ``None`` when the file cannot be read or parsed (it was validated before, so this is
    only for error messages).
    """
    try:
        root = yaml.compose(Path(path).read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    return _line_of(root, key)


def config_to_dict(config: Config, *, absolute_paths: bool = True) -> dict[str, Any]:
    """The configuration as plain data, ready to be written as YAML.

    With ``absolute_paths`` every file path is resolved, so the written file can be
    replayed from any folder.
    """
    data = config.model_dump(mode="json", exclude_none=True)
    base = data.pop("base_dir")
    if not isinstance(config.data.train, MoleculeSource):  # molecule options: molecules only
        for key in ("featurizer", "fingerprint", "invalid"):
            data["data"].pop(key, None)
    if not task_class(config.task).binary_outputs:  # no decision threshold to record
        data["train"].pop("threshold", None)
    if absolute_paths:
        init = data["train"].get("init_from")
        if isinstance(init, str):
            data["train"]["init_from"] = os.fspath(
                Path(os.path.expanduser(init))
                if Path(os.path.expanduser(init)).is_absolute()
                else (Path(base) / init).resolve()
            )
        for split in ("train", "valid", "test"):
            src = data["data"].get(split)
            if isinstance(src, dict):
                _absolutise(src, Path(base))
    return data


def _absolutise(src: dict[str, Any], base: Path) -> None:
    def fix(v: str) -> str:
        p = Path(os.path.expanduser(v))
        return os.fspath(p if p.is_absolute() else (base / p).resolve())

    for key in (
        "table",
        "genome",
        "labels",
        "matrix",
        "molecules",
        "split_file",
        "reads",
        "truth",
        "confident",
        "candidate_regions",
        "regions",
        "blacklist",
    ):
        if isinstance(src.get(key), str) and src[key] != MEMORY_TABLE:
            src[key] = fix(src[key])
    if isinstance(src.get("views"), dict):
        for view in src["views"].values():
            if isinstance(view, dict) and isinstance(view.get("matrix"), str):
                view["matrix"] = fix(view["matrix"])
    if isinstance(src.get("tracks"), list):
        src["tracks"] = [fix(v) for v in src["tracks"]]
    for key in ("fasta", "bed", "cpg", "residues", "tracks"):
        if isinstance(src.get(key), str):
            src[key] = fix(src[key])
        elif isinstance(src.get(key), dict):
            src[key] = {k: fix(v) for k, v in src[key].items()}
