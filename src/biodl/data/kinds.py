"""Input kinds: what a model reads, and everything the toolkit needs to know about it.

An :class:`InputKind` owns one modality of model input: how it is read from a file
(:meth:`~InputKind.read`), checked (:meth:`~InputKind.validate`), turned into the
array a model takes (:meth:`~InputKind.encode`, :meth:`~InputKind.collate`), how many
channels that array has (:meth:`~InputKind.n_channels`, :meth:`~InputKind.input_shape`)
and which facts describe a set of examples for ``biodl assess``
(:meth:`~InputKind.describe`). Sequences (:class:`SequenceKind`) and expression
matrices (:class:`MatrixKind`), the genes of interaction networks (:class:`GraphKind`)
and small molecules as SMILES (:class:`MoleculeKind`: packed molecular graphs, Morgan
fingerprints or RDKit descriptors; needs RDKit) are the kinds today; pileups and signal
tracks are meant to be further kinds with the same surface. :func:`input_kind` builds a
kind by name.

Examples
--------
>>> kind = input_kind("sequence", alphabet="dna")
>>> kind.encode(["ACGT", "GGCC"]).shape
(2, 4, 4)
>>> kind.describe(["GGCC", "ATAT"])["gc_fraction"]
0.5
>>> input_kind("molecule", featurizer="morgan", n_bits=512).encode(["CCO"]).shape
(1, 512, 1)
"""

from __future__ import annotations

import dataclasses
import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar, Literal

import numpy as np

from biodl.data.examples import Examples
from biodl.data.scaffold import scaffold_groups
from biodl.encode import blosum62_encode, dinucleotide_one_hot, one_hot, structure_tensor
from biodl.encode.molecules import (
    ATOM_FEATURES,
    BOND_FEATURES,
    MAX_NEIGHBOURS,
    ModelInput,
    PackedGraphs,
    descriptor_names,
    graph_channels,
    iter_molecules,
    molecule_graphs,
    morgan_fingerprints,
    rdkit_descriptors,
)
from biodl.encode.network import network_features
from biodl.encode.pileup import PILEUP_CHANNELS, PILEUP_HEIGHT, PILEUP_WIDTH
from biodl.encode.pileup import REFERENCE_ROWS as PILEUP_REFERENCE_ROWS
from biodl.encode.unirep import (
    UNIREP_ENCODINGS,
    load_unirep_weights,
    unirep_encode,
    unirep_units,
    unirep_weights_path,
)
from biodl.errors import InputError
from biodl.io import ALPHABETS, AlphabetName, check_alphabet, read_sequences, validate_sequence
from biodl.io.matrix import read_matrix
from biodl.io.molecules import (
    Molecules,
    molecule_format,
    parse_smiles,
    read_molecules,
    require_rdkit,
    smiles_problem,
)
from biodl.io.network import EdgeList, read_edge_list
from biodl.progress import note

__all__ = [
    "INPUT_KINDS",
    "GraphKind",
    "InputKind",
    "MatrixKind",
    "MoleculeKind",
    "PileupKind",
    "SequenceKind",
    "TrackKind",
    "input_kind",
    "structure_cache_dir",
    "unirep_cache_dir",
]

_PathLike = str | os.PathLike[str]

_FEATURIZERS: tuple[str, ...] = ("graph", "morgan", "descriptors")
"""The featurizers of :class:`MoleculeKind`."""

_CHUNK = 4096
"""Sequences counted together by :meth:`SequenceKind.describe` (bounds the memory of
the joined text)."""


class InputKind(ABC):
    """One modality of model input (sequence today; matrix, graph, pileup, track next).

    A kind is an immutable description (e.g. the alphabet and encoding of sequences);
    its methods take the examples. Every problem with user input raises
    :class:`~biodl.errors.InputError` naming the file and the line or record.
    """

    name: ClassVar[str]
    """Registry name of the kind (``"sequence"``)."""

    @abstractmethod
    def read(self, path: _PathLike) -> Examples:
        """Examples read from one file, validated, without labels (label ``""``)."""

    @abstractmethod
    def validate(self, examples: Examples) -> Examples:
        """The examples checked (and normalised) for this kind; raises InputError."""

    @abstractmethod
    def encode(self, examples: Sequence[str] | Examples) -> ModelInput:
        """The model input of ``examples``: ``(N, C, L)`` (see :meth:`input_shape`), or
        packed graphs that stand in for it (molecules)."""

    def collate(self, encoded: Sequence[np.ndarray]) -> np.ndarray:
        """Stack per-example encodings ``(C, L)`` into one batch ``(N, C, L)``.

        Inputs of one kind and model are the same shape, so a batch is their stack (the
        training loop batches the encoded array with a ``torch`` ``DataLoader``).

        Examples
        --------
        >>> kind = SequenceKind(alphabet="dna")
        >>> kind.collate([np.zeros((4, 3)), np.ones((4, 3))]).shape
        (2, 4, 3)
        >>> kind.collate([]).shape
        (0, 0, 0)
        """
        if not encoded:
            return np.zeros((0, 0, 0), dtype=np.float32)
        return np.stack(encoded)

    @abstractmethod
    def describe(self, examples: Sequence[str] | Examples) -> dict[str, Any]:
        """Facts about a set of examples for ``biodl assess``.

        Always ``n`` (examples) and ``n_distinct``; per-example numeric facts are
        ``(N,)`` float64 arrays (for shared-bin histograms), the rest are numbers or
        small dicts. Each kind documents its keys.
        """

    @abstractmethod
    def n_channels(self, length: int = 0) -> int:
        """Channels ``C`` of the model input of examples of ``length``."""

    def input_shape(self, length: int) -> tuple[int, int]:
        """``(C, L)`` of one encoded example of ``length``.

        Examples
        --------
        >>> SequenceKind(alphabet="protein").input_shape(50)
        (20, 50)
        >>> SequenceKind(alphabet="rna", encoding="structure").input_shape(30)
        (38, 30)
        """
        return self.n_channels(length), length


@dataclass(frozen=True, kw_only=True)
class SequenceKind(InputKind):
    """Biological sequences over an alphabet, encoded letter by letter.

    Parameters
    ----------
    alphabet
        ``"dna"``, ``"rna"`` or ``"protein"``.
    encoding
        ``onehot`` (default), ``dinucleotide`` (DNA/RNA), ``structure`` (RNA/DNA, needs
        ViennaRNA), ``blosum62`` (protein) or ``cpg`` (the pre-computed
        ``Examples.features`` of CpG sites, which pass through :meth:`encode`), or a
        UniRep embedding of proteins (:data:`biodl.encode.unirep.UNIREP_ENCODINGS`:
        ``unirep``, ``unirep_mean``, ``unirep256``, ``unirep256_mean``, ``unirep64``,
        ``unirep64_mean``; needs ``biodl[unirep]``).
    unknown
        One-hot row of an unknown letter (``N``/``X``): all ``"zero"`` or ``"uniform"``.

    Examples
    --------
    >>> kind = SequenceKind(alphabet="dna", encoding="dinucleotide")
    >>> kind.name, kind.n_channels(), kind.encode(["ACGT"]).shape
    ('sequence', 16, (1, 16, 4))
    """

    name: ClassVar[str] = "sequence"

    alphabet: AlphabetName = "dna"
    encoding: str = "onehot"
    unknown: Literal["zero", "uniform"] = "zero"

    def __post_init__(self) -> None:
        check_alphabet(self.alphabet)

    def read(self, path: _PathLike) -> Examples:
        """Sequences of a FASTA, FASTQ or one-per-line file (:func:`biodl.io.read_sequences`).

        Examples
        --------
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "x.fa")
        >>> _ = open(path, "w").write(">a\\nacgt\\n>b\\nGGCC\\n")
        >>> ex = SequenceKind(alphabet="dna").read(path)
        >>> ex.ids, ex.sequences, ex.origins[1][1]
        (['a', 'b'], ['ACGT', 'GGCC'], 3)
        """
        where = os.fspath(path)
        ids: list[str] = []
        seqs: list[str] = []
        origins: list[tuple[str, int]] = []
        for rec in read_sequences(path, alphabet=self.alphabet):
            ids.append(rec.id)
            seqs.append(rec.sequence)
            origins.append((where, rec.line))
        return Examples(sequences=seqs, labels=[""] * len(seqs), ids=ids, origins=origins)

    def validate(self, examples: Examples) -> Examples:
        """Every sequence checked against the alphabet and upper-cased.

        Raises
        ------
        InputError
            Naming the file, line and record of the first illegal letter.

        Examples
        --------
        >>> ex = Examples(["acgn"], ["1"], ["s1"], [("in.fa", 2)])
        >>> SequenceKind(alphabet="dna").validate(ex).sequences
        ['ACGN']
        >>> SequenceKind(alphabet="dna").validate(Examples(["ACGJ"], ["1"], ["s1"], [("in.fa", 2)]))
        Traceback (most recent call last):
        ...
        biodl.errors.InputError: in.fa:2: illegal character 'J' at column 4 of record 's1' (alphabet dna: ACGT and N)
        """  # noqa: E501
        checked = [
            validate_sequence(seq, self.alphabet, path=path or None, line=line or None, record=i)
            for seq, i, (path, line) in zip(
                examples.sequences, examples.ids, examples.origins, strict=True
            )
        ]
        if checked == examples.sequences:
            return examples
        return dataclasses.replace(examples, sequences=checked)

    def encode(self, examples: Sequence[str] | Examples) -> np.ndarray:
        """The model input of each example.

        ``onehot``: ``(N, C, L)`` int8 (a quarter of float32's memory) unless
        ``unknown`` is ``"uniform"`` (float32); ``unirep*``: per residue ``(N, H, L)``
        float16 (zero at the ``X`` padding of both ends), ``unirep*_mean``: ``(N, H, 1)``
        float32 (:func:`biodl.encode.unirep.unirep_encode`, cached under
        :func:`unirep_cache_dir`); ``dinucleotide``: the 16-channel
        dinucleotide one-hot (DNA/RNA); ``structure``: the packed ``(N, 8 + L, L)``
        float16 sequence + ViennaRNA structure tensor (:func:`biodl.encode.structure_tensor`;
        folds are cached, see :func:`structure_cache_dir`); ``cpg``: the pre-computed
        ``Examples.features`` (CpG neighbourhoods, DNA); ``blosum62``: ``(N, 20, L)``
        BLOSUM62 rows of proteins (float16, exact). Models cast each batch to float32,
        so the storage type does not change results. Sequences must share one length.

        Examples
        --------
        >>> x = SequenceKind(alphabet="dna").encode(["ACGN"])
        >>> x.dtype, x[0].tolist()
        (dtype('int8'), [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 0]])
        """
        if isinstance(examples, Examples) and examples.features is not None:
            return self.collate(examples.features)
        if self.encoding == "cpg":
            raise InputError("a CpG model scores CpG sites from profiles, not sequences")
        seqs = examples.sequences if isinstance(examples, Examples) else examples
        if self.encoding == "dinucleotide":
            if self.alphabet == "protein":
                raise InputError("data.encoding: dinucleotide is for DNA or RNA, not protein")
            return dinucleotide_one_hot(seqs, alphabet=self.alphabet, dtype=np.int8)
        if self.encoding == "blosum62":
            return blosum62_encode(seqs, dtype=np.float16)
        if self.encoding == "structure":
            return structure_tensor(seqs, cache_dir=structure_cache_dir(), dtype=np.float16)
        if self.encoding in UNIREP_ENCODINGS:
            if self.alphabet != "protein":
                raise InputError(f"data.encoding: {self.encoding} is for proteins")
            size, pooling = UNIREP_ENCODINGS[self.encoding]
            return unirep_encode(seqs, size=size, pooling=pooling, cache_dir=unirep_cache_dir())
        dtype = np.int8 if self.unknown == "zero" else np.float32
        return one_hot(seqs, alphabet=self.alphabet, unknown=self.unknown, dtype=dtype)

    def weights(self) -> dict[str, Any]:
        """The pretrained weights the encoding depends on, for a run's provenance:
        ``{"path", "sha256", "units"}`` of the UniRep file for the ``unirep*`` encodings
        (:func:`biodl.encode.unirep.unirep_weights_path`), else ``{}``.

        Examples
        --------
        >>> SequenceKind(alphabet="dna").weights()
        {}
        """
        if self.encoding not in UNIREP_ENCODINGS:
            return {}
        size, _ = UNIREP_ENCODINGS[self.encoding]
        loaded = load_unirep_weights(unirep_weights_path(size))
        return {"path": os.fspath(loaded.path), "sha256": loaded.sha256, "units": loaded.units}

    def n_channels(self, length: int = 0) -> int:
        """Channels of the encoding: 16 (``dinucleotide``), ``8 + length``
        (``structure``), else the alphabet's letters (4 or 20).

        Raises
        ------
        InputError
            For ``cpg``, whose channels are those of the pre-computed features.

        Examples
        --------
        >>> SequenceKind(alphabet="dna").n_channels(), SequenceKind(alphabet="protein").n_channels()
        (4, 20)
        """
        if self.encoding == "cpg":
            raise InputError("CpG inputs have the channels of their pre-computed features")
        if self.encoding == "structure":
            return 8 + length
        if self.encoding in UNIREP_ENCODINGS:
            return unirep_units(UNIREP_ENCODINGS[self.encoding][0])
        return 16 if self.encoding == "dinucleotide" else len(ALPHABETS[self.alphabet])

    def describe(self, examples: Sequence[str] | Examples) -> dict[str, Any]:
        """Count, lengths, distinct sequences, GC content and letter composition.

        Returns
        -------
        dict
            ``n``: examples; ``n_distinct``: distinct sequences; ``length``: ``(N,)``
            float64 length of each; ``composition``: ``{"letters": [...], "fractions":
            [...]}``, the fraction of each letter of the alphabet among all the
            alphabet's letters (case-insensitive; unknown letters not counted; all 0
            without any); for DNA/RNA also ``gc``: ``(N,)`` float64 fraction of G and
            C among the A, C, G, T, U of each sequence (case-insensitive; NaN without
            any) and ``gc_fraction``: the same over all sequences together (None
            without any).

        Examples
        --------
        >>> d = SequenceKind(alphabet="dna").describe(["GGCC", "atat", "NN"])
        >>> d["n"], d["length"].tolist(), d["gc"].tolist(), d["gc_fraction"]
        (3, [4.0, 4.0, 2.0], [1.0, 0.0, nan], 0.5)
        >>> d["composition"]["fractions"]
        [0.25, 0.25, 0.25, 0.25]
        """
        seqs = examples.sequences if isinstance(examples, Examples) else examples
        letters = ALPHABETS[self.alphabet]
        counts = np.zeros(256, dtype=np.int64)
        for start in range(0, len(seqs), _CHUNK):
            text = "".join(seqs[start : start + _CHUNK]).upper()
            data = np.frombuffer(text.encode("ascii", errors="replace"), dtype=np.uint8)
            counts += np.bincount(data, minlength=256)
        per_letter = [int(counts[ord(c)]) for c in letters]
        total = sum(per_letter)
        out: dict[str, Any] = {
            "n": len(seqs),
            "n_distinct": len(set(seqs)),
            "length": np.array([len(s) for s in seqs], dtype=np.float64),
            "composition": {
                "letters": list(letters),
                "fractions": [c / max(total, 1) for c in per_letter],
            },
        }
        if self.alphabet in ("dna", "rna"):
            gc = np.empty(len(seqs), dtype=np.float64)
            for i, s in enumerate(seqs):
                u = s.upper()
                known = sum(u.count(c) for c in "ACGTU")
                gc[i] = (u.count("G") + u.count("C")) / known if known else np.nan
            strong = int(counts[ord("G")] + counts[ord("C")])
            known_all = int(sum(counts[ord(c)] for c in "ACGTU"))
            out["gc"] = gc
            out["gc_fraction"] = strong / known_all if known_all else None
        return out


@dataclass(frozen=True, kw_only=True)
class TrackKind(SequenceKind):
    """DNA windows of a reference genome whose targets are signal tracks (coverage,
    CAGE, ChIP-seq; :mod:`biodl.data.tracks`): encoded as DNA one-hot like
    :class:`SequenceKind`, with each example's ``Examples.values`` ``(T, B)`` the binned
    signal of ``T`` tracks. The windows are cut from a genome by a ``tracks:`` source
    (or ``biodl predict --genome``), not read from a file of their own.

    Examples
    --------
    >>> kind = TrackKind(bin_size=2)
    >>> ex = Examples(["ACGT", "GGGG"], ["", ""], ["c:0-4", "c:4-8"], [("g.fa", 0)] * 2,
    ...               values=[np.array([[1.0, 3.0]], np.float32), np.zeros((1, 2), np.float32)])
    >>> d = kind.describe(ex)
    >>> kind.name, kind.encode(ex).shape, d["signal_total"].tolist(), d["zero_bins"].tolist()
    ('track', (2, 4, 4), [4.0, 0.0], [0.0, 1.0])
    """

    name: ClassVar[str] = "track"

    alphabet: AlphabetName = "dna"
    bin_size: int = 1

    def read(self, path: _PathLike) -> Examples:
        """Not a file format: windows are cut from a genome (raises :class:`InputError`)."""
        raise InputError(
            "track windows are cut from a genome: use a 'tracks:' source (biodl train) or "
            "biodl predict --genome",
            path=path,
        )

    def describe(self, examples: Sequence[str] | Examples) -> dict[str, Any]:
        """:meth:`SequenceKind.describe`, and for examples with targets ``signal_total``
        ``(N,)`` (the summed signal of all tracks in each window, NaN ignored) and
        ``zero_bins`` ``(N,)`` (the share of bins at 0 in each window)."""
        out = super().describe(examples)
        if isinstance(examples, Examples) and examples.values:
            values = np.stack(examples.values).astype(np.float64)
            flat = values.reshape(len(values), -1)
            out["signal_total"] = np.nansum(flat, axis=1)
            known = np.maximum((~np.isnan(flat)).sum(axis=1), 1)
            out["zero_bins"] = (flat == 0).sum(axis=1) / known
        return out


@dataclass(frozen=True, kw_only=True)
class MatrixKind(InputKind):
    """Samples of an expression matrix: one vector of named features per example.

    Examples hold their values in ``Examples.features`` (raw ``(F,)`` as read, ``(F, 1)``
    once preprocessed by :mod:`biodl.encode.matrix`) and the names in
    ``Examples.feature_names``. The model input is ``(N, F, 1)`` float32: features as
    channels of a length-1 input, so every model, the training loop and ``predict`` see
    the ``(N, C, L)`` shape they know.

    Parameters
    ----------
    format, orientation
        How :meth:`read` reads a file (:func:`biodl.io.matrix.read_matrix`).

    Examples
    --------
    >>> ex = Examples([""] * 2, ["", ""], ["a", "b"], [("m.tsv", 2), ("m.tsv", 3)],
    ...               features=[np.array([1.0, 2.0]), np.array([3.0, np.nan])],
    ...               feature_names=["g1", "g2"])
    >>> MatrixKind().encode(ex).shape
    (2, 2, 1)
    >>> d = MatrixKind().describe(ex); d["n_features"], d["n_missing"], d["value_range"]
    (2, 1, (1.0, 3.0))
    """

    name: ClassVar[str] = "matrix"

    format: str | None = None
    orientation: Literal["samples_by_features", "features_by_samples"] = "samples_by_features"

    def read(self, path: _PathLike) -> Examples:
        """The samples of a matrix file, unlabelled (label ``""``)."""
        matrix = read_matrix(path, format=self.format, orientation=self.orientation)
        origins = [(matrix.path, line) for line, _ in matrix.records]
        return Examples(
            sequences=[""] * len(matrix.samples),
            labels=[""] * len(matrix.samples),
            ids=list(matrix.samples),
            origins=origins,
            features=list(matrix.values),
            feature_names=list(matrix.features),
        )

    def validate(self, examples: Examples) -> Examples:
        """Every example has a vector of the same named features.

        Raises
        ------
        InputError
            Examples without features or names, or vectors of different lengths.
        """
        if examples.features is None or examples.feature_names is None:
            raise InputError("matrix examples need their feature values and names")
        width = len(examples.feature_names)
        for row, i, (path, line) in zip(
            examples.features, examples.ids, examples.origins, strict=True
        ):
            if row.shape[0] != width:
                raise InputError(
                    f"{row.shape[0]} values where the matrix has {width} features",
                    path=path or None,
                    line=line or None,
                    record=i,
                )
        return examples

    def encode(self, examples: Sequence[str] | Examples) -> np.ndarray:
        """``(N, F, 1)`` float32 of the examples' feature vectors."""
        if not isinstance(examples, Examples) or examples.features is None:
            raise InputError("matrix inputs are feature vectors, not sequences")
        if not examples.features:
            width = len(examples.feature_names or [])
            return np.zeros((0, width, 1), dtype=np.float32)
        X = np.stack(examples.features).astype(np.float32, copy=False)
        return X[:, :, None] if X.ndim == 2 else X

    def n_channels(self, length: int = 0) -> int:
        """Matrix inputs have one channel per feature, known from the data only."""
        raise InputError("matrix inputs have one channel per (selected) feature")

    def weights(self) -> dict[str, Any]:
        """No pretrained encoder weights: ``{}``."""
        return {}

    def describe(self, examples: Sequence[str] | Examples) -> dict[str, Any]:
        """Samples, features, missing values and value range.

        Returns
        -------
        dict
            ``n``: samples; ``n_distinct``: distinct value vectors; ``n_features``;
            ``n_missing``: NaN values; ``value_range``: ``(min, max)`` of the values
            (``None`` without any); ``mean``: ``(N,)`` float64 mean of each sample's
            values; ``missing_fraction``: ``(N,)`` float64 share of NaN per sample.
        """
        if not isinstance(examples, Examples) or examples.features is None:
            raise InputError("matrix inputs are feature vectors, not sequences")
        n = len(examples.features)
        width = len(examples.feature_names or [])
        X = (
            np.stack([np.asarray(r, dtype=np.float64).reshape(-1) for r in examples.features])
            if n
            else np.zeros((0, width))
        )
        finite = X[~np.isnan(X)]
        with np.errstate(invalid="ignore"):
            mean = np.nanmean(X, axis=1) if n and X.shape[1] else np.full(n, np.nan)
        return {
            "n": n,
            "n_distinct": len({r.tobytes() for r in X}),
            "n_features": int(X.shape[1]),
            "n_missing": int(np.isnan(X).sum()),
            "value_range": (float(finite.min()), float(finite.max())) if finite.size else None,
            "mean": np.asarray(mean, dtype=np.float64),
            "missing_fraction": (
                np.isnan(X).mean(axis=1) if X.shape[1] else np.zeros(n, dtype=np.float64)
            ),
        }


@dataclass(frozen=True, kw_only=True)
class GraphKind(InputKind):
    """The genes (nodes) of an interaction network, each encoded by its place in it.

    A network file (a weighted edge list, :func:`biodl.io.network.read_edge_list`) is
    read as one example per gene; a gene's features are its row of the network's
    random-walk-with-restart + PPMI matrix (:func:`biodl.encode.network.network_features`,
    as in deepNF), over ``genes`` (the union of several networks, so every network's
    rows line up) or the network's own genes. The model input is ``(N, G, 1)``
    float32, as for a matrix. Genes absent from the network get a zero row.

    Parameters
    ----------
    genes
        Node order of the features (default: the network's genes as read).
    steps, alpha
        Random-walk steps and continuation probability.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "ppi.txt")
    >>> _ = open(path, "w").write("A B\\nB C\\n")
    >>> kind = GraphKind(genes=("A", "B", "C", "D"))
    >>> ex = kind.read(path)
    >>> kind.encode(ex).shape
    (4, 4, 1)
    >>> d = kind.describe_edges(kind.read_edges(path)); d["n_genes"], d["n_edges"], d["max_degree"]
    (3, 2, 2)
    """

    name: ClassVar[str] = "graph"

    genes: tuple[str, ...] | None = None
    steps: int = 3
    alpha: float = 0.98

    def read_edges(self, path: _PathLike) -> EdgeList:
        """The network as read and validated (an undirected weighted edge list)."""
        return read_edge_list(path)

    def features(self, edges: EdgeList, genes: Sequence[str] | None = None) -> np.ndarray:
        """``(G, G)`` float32 random-walk + PPMI features over ``genes`` (default
        :attr:`genes`, else the network's own)."""
        order = genes if genes is not None else (self.genes or edges.genes)
        return network_features(edges, order, steps=self.steps, alpha=self.alpha)

    def read(self, path: _PathLike) -> Examples:
        """One unlabelled example per gene, its features the gene's network row."""
        edges = self.read_edges(path)
        genes = self.genes or edges.genes
        X = self.features(edges, genes)
        return Examples(
            sequences=[""] * len(genes),
            labels=[""] * len(genes),
            ids=list(genes),
            origins=[(os.fspath(path), 0)] * len(genes),
            features=list(X),
            feature_names=list(genes),
        )

    def validate(self, examples: Examples) -> Examples:
        """Every gene has a feature row as long as the gene list."""
        return MatrixKind().validate(examples)

    def encode(self, examples: Sequence[str] | Examples) -> np.ndarray:
        """``(N, G, 1)`` float32 of the genes' network rows."""
        return MatrixKind().encode(examples)

    def n_channels(self, length: int = 0) -> int:
        """One channel per gene of :attr:`genes`."""
        if self.genes is None:
            raise InputError("graph inputs have one channel per gene of the network")
        return len(self.genes)

    def weights(self) -> dict[str, Any]:
        """No pretrained encoder weights: ``{}``."""
        return {}

    def describe(self, examples: Sequence[str] | Examples) -> dict[str, Any]:
        """Genes and how many other genes each reaches in the walk.

        Returns
        -------
        dict
            ``n``: genes; ``n_distinct``: distinct feature rows; ``n_features``;
            ``reach``: ``(N,)`` float64 count of non-zero features per gene;
            ``n_isolated``: genes with an all-zero row.
        """
        base = MatrixKind().describe(examples)  # raises unless examples have features
        rows = examples.features if isinstance(examples, Examples) else None
        reach = np.array([np.count_nonzero(r) for r in rows or []], dtype=np.float64)
        return {
            "n": base["n"],
            "n_distinct": base["n_distinct"],
            "n_features": base["n_features"],
            "reach": reach,
            "n_isolated": int((reach == 0).sum()),
        }

    def describe_edges(self, edges: EdgeList) -> dict[str, Any]:
        """Facts about a network for ``assess``: genes, edges, weights, degrees.

        Returns
        -------
        dict
            ``n_genes``, ``n_edges``, ``weighted``, ``weight_range``, ``self_loops``
            and ``duplicates`` (dropped or merged on reading), ``median_degree``,
            ``max_degree``, ``density``.
        """
        deg = edges.degree()
        n = len(edges.genes)
        return {
            "n_genes": n,
            "n_edges": len(edges.source),
            "weighted": bool(edges.weighted),
            "weight_range": [float(edges.weight.min()), float(edges.weight.max())]
            if len(edges.weight)
            else None,
            "self_loops": int(edges.n_self_loops),
            "duplicates": int(edges.n_duplicates),
            "median_degree": float(np.median(deg)) if n else 0.0,
            "max_degree": int(deg.max()) if n else 0,
            "density": round(2 * len(edges.source) / (n * (n - 1)), 6) if n > 1 else 0.0,
        }


_SKIPPED_SHOWN = 3
"""Skipped molecules named in the note of :meth:`MoleculeKind.read`."""


@dataclass(frozen=True, kw_only=True)
class MoleculeKind(InputKind):
    """Small molecules written as SMILES, encoded as packed graphs, Morgan fingerprints
    or RDKit descriptors.

    Examples hold one canonical SMILES (RDKit's) per molecule in
    ``Examples.sequences``. The model input is float32 ``(N, C, L)``:

    - ``graph`` (default): packed molecular graphs
      (:func:`biodl.encode.molecules.molecule_graphs`), ``C`` =
      :func:`~biodl.encode.molecules.graph_channels` of ``max_neighbours``, ``L`` = atom
      positions (``length``, else the largest molecule of the call); the sizes the model
      needs to unpack them are :meth:`layout`.
    - ``morgan``: Morgan fingerprints (:func:`biodl.encode.molecules.morgan_fingerprints`),
      ``(N, n_bits, 1)``.
    - ``descriptors``: RDKit's 2-D descriptors
      (:func:`biodl.encode.molecules.rdkit_descriptors`), ``(N, D, 1)``, unscaled.

    Needs RDKit (``pip install 'biodl[chem]'``) to read, check, encode or describe
    molecules; without it these raise an :class:`~biodl.errors.InputError` saying how to
    install it.

    Parameters
    ----------
    featurizer
        ``"graph"``, ``"morgan"`` or ``"descriptors"``.
    radius, n_bits, counts
        Morgan radius (2: ECFP4), fingerprint length, and bit counts instead of 0/1.
    max_neighbours
        ``K``, neighbour slots per atom of a packed graph.
    length
        Atom positions ``L`` of a packed graph (a run's input length); ``None``: the
        largest molecule of each :meth:`encode` call.
    smiles_column, target_columns, id_column, invalid
        How :meth:`read` and :meth:`read_molecules` read a file
        (:func:`biodl.io.molecules.read_molecules`); ``invalid="skip"`` leaves out the
        molecules RDKit rejects (and says so), ``"error"`` stops at the first.

    Examples
    --------
    >>> kind = MoleculeKind()
    >>> x = kind.encode(["CCO", "c1ccccc1O"])
    >>> x.shape == (2, kind.n_channels(), 7), kind.model_alphabet
    (True, 'molecule')
    >>> fp = MoleculeKind(featurizer="morgan", n_bits=256)
    >>> fp.encode(["CCO"]).shape, fp.model_alphabet, fp.layout()
    ((1, 256, 1), 'fingerprint', ())
    >>> d = kind.describe(["c1ccccc1", "Cc1ccccc1", "CCO"])
    >>> d["n_scaffolds"], d["acyclic"], d["atoms"].tolist(), d["max_degree"]
    (2, 1, [6.0, 7.0, 3.0], 3)
    """

    name: ClassVar[str] = "molecule"

    featurizer: Literal["graph", "morgan", "descriptors"] = "graph"
    radius: int = 2
    n_bits: int = 2048
    counts: bool = False
    max_neighbours: int = MAX_NEIGHBOURS
    length: int | None = None
    smiles_column: str | None = None
    target_columns: tuple[str, ...] | None = None
    id_column: str | None = None
    invalid: Literal["error", "skip"] = "error"
    ragged: bool = False

    def __post_init__(self) -> None:
        if self.featurizer not in _FEATURIZERS:
            raise InputError(
                f"molecule featurizer must be one of {', '.join(_FEATURIZERS)}, "
                f"not {self.featurizer!r}"
            )
        if self.invalid not in ("error", "skip"):
            raise InputError(f"invalid must be 'error' or 'skip', not {self.invalid!r}")
        for field_name, low in (("radius", 0), ("n_bits", 1), ("max_neighbours", 1)):
            value = getattr(self, field_name)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise InputError(f"{field_name} must be an integer >= {low}, not {value!r}")
        if self.length is not None and (
            isinstance(self.length, bool) or not isinstance(self.length, int) or self.length < 1
        ):
            raise InputError(f"length must be a positive integer or None, not {self.length!r}")
        if self.target_columns is not None and not isinstance(self.target_columns, tuple):
            columns = self.target_columns
            # a configuration gives a list (or one name); keep the kind hashable
            named = (columns,) if isinstance(columns, str) else tuple(columns)
            object.__setattr__(self, "target_columns", named)

    @property
    def model_alphabet(self) -> str:
        """What the zoo models list in ``ModelSpec.alphabets`` for this input:
        ``"molecule"`` (packed graphs) or ``"fingerprint"`` (fingerprint or descriptor
        vectors)."""
        return "molecule" if self.featurizer == "graph" else "fingerprint"

    def layout(self) -> tuple[tuple[str, int], ...]:
        """The sizes a graph model reads from ``ModelIO.layout``: ``atom_features``
        (``A``), ``bond_features`` (``B``), ``max_neighbours`` (``K``); ``()`` for
        fingerprints and descriptors.

        Examples
        --------
        >>> dict(MoleculeKind(max_neighbours=4).layout())["max_neighbours"]
        4
        >>> MoleculeKind(featurizer="descriptors").layout()
        ()
        """
        if self.featurizer != "graph":
            return ()
        return (
            ("atom_features", len(ATOM_FEATURES)),
            ("bond_features", len(BOND_FEATURES)),
            ("max_neighbours", self.max_neighbours),
        )

    def read_molecules(self, path: _PathLike) -> Molecules:
        """The molecules of a CSV/TSV or SDF file with their targets, as
        :func:`biodl.io.molecules.read_molecules` reads them with this kind's options."""
        return read_molecules(
            path,
            smiles_column=self.smiles_column,
            target_columns=self.target_columns,
            id_column=self.id_column,
            invalid=self.invalid,
        )

    def read(self, path: _PathLike) -> Examples:
        """The molecules of a CSV/TSV or SDF file, unlabelled (label ``""``).

        ``sequences`` are canonical SMILES, ``origins`` the file and the line of each
        row (SDF: of each record's first line). Target columns are read (and checked)
        only when named; an SDF file needs none here. Molecules left out with
        ``invalid="skip"`` are reported (count and the first few) on the progress
        stream and in ``Examples.notes["skipped"]``.

        Examples
        --------
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "m.csv")
        >>> _ = open(path, "w").write("smiles,y\\nOCC,1\\nc1ccccc1O,0\\n")
        >>> ex = MoleculeKind().read(path)
        >>> ex.sequences, ex.labels, ex.origins[1][1]
        (['CCO', 'Oc1ccccc1'], ['', ''], 3)
        """
        columns = self.target_columns
        if columns is None and molecule_format(path) == "sdf":
            columns = ()
        molecules = read_molecules(
            path,
            smiles_column=self.smiles_column,
            target_columns=columns,
            id_column=self.id_column,
            invalid=self.invalid,
        )
        return self.examples(molecules)

    def examples(self, molecules: Molecules) -> Examples:
        """Unlabelled examples (label ``""``) of molecules as read; the skipped ones
        (``invalid="skip"``) are reported on the progress stream and in
        ``Examples.notes["skipped"]``."""
        notes: dict[str, str] = {}
        if molecules.skipped:
            shown = "; ".join(
                f"line {line} {smiles!r} ({reason})"
                for line, smiles, reason in molecules.skipped[:_SKIPPED_SHOWN]
            )
            more = len(molecules.skipped) - _SKIPPED_SHOWN
            text = (
                f"{molecules.path}: skipped {len(molecules.skipped)} molecule(s) RDKit "
                f"rejects (invalid: skip): {shown}" + (f"; and {more} more" if more > 0 else "")
            )
            note(text)
            notes["skipped"] = text
        n = len(molecules)
        return Examples(
            sequences=list(molecules.smiles),
            labels=[""] * n,
            ids=list(molecules.ids),
            origins=[(molecules.path, line) for line in molecules.lines],
            notes=notes,
        )

    def validate(self, examples: Examples) -> Examples:
        """Every SMILES parsed by RDKit and written canonically; for packed graphs,
        every molecule also fits ``length`` and ``max_neighbours``.

        Raises
        ------
        InputError
            Naming the file, line, id and SMILES of the first molecule RDKit rejects or
            that does not fit the graph.

        Examples
        --------
        >>> ex = Examples(["OCC"], [""], ["m1"], [("in.csv", 2)])
        >>> MoleculeKind().validate(ex).sequences
        ['CCO']
        >>> MoleculeKind().validate(Examples(["C1CC"], [""], ["m2"], [("in.csv", 3)]))
        Traceback (most recent call last):
        ...
        biodl.errors.InputError: in.csv:3: record 'm2': invalid SMILES 'C1CC': SMILES syntax...
        """
        require_rdkit("checking molecules")
        from rdkit import Chem

        checked: list[str] = []
        for smiles, mol_id, (path, line) in zip(
            examples.sequences, examples.ids, examples.origins, strict=True
        ):
            mol = parse_smiles(smiles)
            problem = (
                f"invalid SMILES {smiles!r}: {smiles_problem(smiles) or 'RDKit rejects it'}"
                if mol is None
                else self._graph_problem(mol, smiles)
            )
            if problem is not None:
                raise InputError(problem, path=path or None, line=line or None, record=mol_id)
            assert mol is not None  # for mypy: a molecule without a problem parsed
            checked.append(str(Chem.MolToSmiles(mol)))
        if checked == examples.sequences:
            return examples
        return dataclasses.replace(examples, sequences=checked)

    def _graph_problem(self, mol: Any, smiles: str) -> str | None:
        """Why a parsed molecule does not fit the packed graph (``None`` if it does, or
        for fingerprints and descriptors)."""
        if self.featurizer != "graph":
            return None
        atoms = mol.GetNumAtoms()
        if self.length is not None and atoms > self.length:
            return f"molecule {smiles!r} has {atoms} atoms, more than length {self.length}"
        degree = max((a.GetDegree() for a in mol.GetAtoms()), default=0)
        if degree > self.max_neighbours:
            return (
                f"molecule {smiles!r} has an atom of {degree} bonded atoms, more than "
                f"max_neighbours {self.max_neighbours}"
            )
        return None

    def encode(self, examples: Sequence[str] | Examples) -> ModelInput:
        """The model input of the molecules, float32 ``(N, C, L)``.

        ``graph``: :func:`~biodl.encode.molecules.molecule_graphs` padded to ``length``
        atoms (default: the largest molecule of this call; with ``ragged``, and no
        ``length``, :class:`~biodl.encode.molecules.PackedGraphs`); ``morgan``:
        ``(N, n_bits, 1)`` fingerprints; ``descriptors``: ``(N, D, 1)`` RDKit
        descriptors in :func:`~biodl.encode.molecules.descriptor_names` order, a value
        RDKit cannot compute set to 0 (with a note) and values clipped to the float32
        range, then compressed by ``asinh`` (descriptors span many orders of magnitude;
        ``asinh`` is near ``x`` for small values and ``sign(x) log 2|x|`` for large ones,
        a fixed transform that needs nothing fitted on the training set).

        Raises
        ------
        InputError
            An invalid SMILES, a molecule longer than ``length`` or with an atom of
            more than ``max_neighbours`` bonded atoms (naming the SMILES).

        Examples
        --------
        >>> MoleculeKind(length=5).encode(["CCO"]).shape == (1, MoleculeKind().n_channels(), 5)
        True
        >>> MoleculeKind(featurizer="descriptors").encode(["CCO"]).shape[2]
        1
        """
        smiles = list(examples.sequences if isinstance(examples, Examples) else examples)
        if self.featurizer == "graph":
            if self.ragged and self.length is None:
                return PackedGraphs.from_smiles(smiles, max_neighbours=self.max_neighbours)
            return molecule_graphs(smiles, length=self.length, max_neighbours=self.max_neighbours)
        if self.featurizer == "morgan":
            bits = morgan_fingerprints(
                smiles, radius=self.radius, n_bits=self.n_bits, counts=self.counts
            )
            return bits[:, :, None]
        values, names = rdkit_descriptors(smiles)
        missing = np.isnan(values)
        if missing.any():
            worst = [names[j] for j in np.argsort(-missing.sum(axis=0))[:3] if missing[:, j].any()]
            note(
                f"RDKit descriptors: {int(missing.sum())} value(s) RDKit cannot compute, in "
                f"{int(missing.any(axis=1).sum())} of {len(smiles)} molecule(s), set to 0 "
                f"(most: {', '.join(worst)})"
            )
            values = np.where(missing, 0.0, values)
        big = float(np.finfo(np.float32).max)
        return np.arcsinh(np.clip(values, -big, big)).astype(np.float32)[:, :, None]

    def n_channels(self, length: int = 0) -> int:
        """Channels ``C``: :func:`~biodl.encode.molecules.graph_channels` of
        ``max_neighbours`` (graphs), ``n_bits`` (Morgan) or the number of RDKit
        descriptors (needs RDKit).

        Examples
        --------
        >>> MoleculeKind(featurizer="morgan", n_bits=1024).n_channels()
        1024
        """
        if self.featurizer == "graph":
            return graph_channels(self.max_neighbours)
        if self.featurizer == "morgan":
            return self.n_bits
        return len(descriptor_names())

    def weights(self) -> dict[str, Any]:
        """No pretrained encoder weights: ``{}``."""
        return {}

    def describe(self, examples: Sequence[str] | Examples) -> dict[str, Any]:
        """Molecules, their sizes and their Bemis-Murcko scaffolds.

        Returns
        -------
        dict
            ``n``: molecules; ``n_distinct``: distinct canonical SMILES; ``atoms``:
            ``(N,)`` float64 atoms of each (heavy atoms: hydrogens are implicit);
            ``max_degree``: most bonded atoms of any atom (the ``max_neighbours`` a
            packed graph needs; 0 without molecules); ``n_scaffolds``: distinct
            Bemis-Murcko scaffolds (:func:`biodl.data.scaffold.murcko_scaffold`), the
            acyclic molecules counting as one (their empty scaffold), as scaffold
            splits group them; ``acyclic``: molecules without a ring.

        Raises
        ------
        InputError
            An invalid SMILES, or RDKit is not installed.

        Examples
        --------
        >>> d = MoleculeKind().describe(["OCC", "CCO", "c1ccccc1O"])
        >>> d["n"], d["n_distinct"], d["n_scaffolds"], d["acyclic"]
        (3, 2, 2, 2)
        """
        smiles = list(examples.sequences if isinstance(examples, Examples) else examples)
        require_rdkit("describing molecules")
        from rdkit import Chem

        atoms = np.zeros(len(smiles), dtype=np.float64)
        canonical: set[str] = set()
        max_degree = 0
        for i, mol in enumerate(iter_molecules(smiles)):
            atoms[i] = mol.GetNumAtoms()
            canonical.add(str(Chem.MolToSmiles(mol)))
            max_degree = max(max_degree, *(a.GetDegree() for a in mol.GetAtoms()), 0)
        groups = scaffold_groups(smiles)
        return {
            "n": len(smiles),
            "n_distinct": len(canonical),
            "atoms": atoms,
            "max_degree": int(max_degree),
            "n_scaffolds": len(groups),
            "acyclic": len(groups.get("", [])),
        }


@dataclass(frozen=True, kw_only=True)
class PileupKind(InputKind):
    """Read pileups of candidate variants (DeepVariant-style; :mod:`biodl.encode.pileup`
    has the layout): each example's ``Examples.features`` is its ``(6, H*W)`` pileup,
    flattened row-major from ``(6, H, W)`` (channels base, base quality, mapping quality,
    strand, supports the allele, differs from the reference; 5 reference rows, then the
    reads; the candidate in column ``W // 2``). Pileups are made from a BAM, a reference
    and the candidates (:func:`biodl.data.pileup.load_pileup_source`), not read from a
    file of their own.

    Examples
    --------
    >>> kind = PileupKind(height=8, width=3)
    >>> ex = Examples([""], ["het"], ["c:5:A>G"], [("r.bam", 0)],
    ...               features=[np.zeros((6, 24), np.float32)])
    >>> kind.encode(ex).shape, kind.layout()
    ((1, 6, 24), (('pileup_height', 8), ('pileup_width', 3)))
    """

    name: ClassVar[str] = "pileup"

    height: int = PILEUP_HEIGHT
    width: int = PILEUP_WIDTH

    def read(self, path: _PathLike) -> Examples:
        """Not a file format: pileups come from reads (raises :class:`InputError`)."""
        raise InputError(
            "pileups are made from reads: use a 'reads:' source (biodl train) or "
            "biodl call-variants --bam",
            path=path,
        )

    def layout(self) -> tuple[tuple[str, int], ...]:
        """``(("pileup_height", H), ("pileup_width", W))``: what the model reads."""
        return (("pileup_height", self.height), ("pileup_width", self.width))

    def validate(self, examples: Examples) -> Examples:
        """Every example holds a ``(6, H*W)`` pileup; raises :class:`InputError` naming
        the first that does not."""
        want = (len(PILEUP_CHANNELS), self.height * self.width)
        if examples.features is None and len(examples):
            raise InputError("examples without pileups", record=examples.ids[0])
        for i, x in enumerate(examples.features or []):
            if np.shape(x) != want:
                raise InputError(
                    f"expected a pileup of shape {want}, not {np.shape(x)}",
                    record=examples.ids[i],
                )
        return examples

    def encode(self, examples: Sequence[str] | Examples) -> ModelInput:
        """The stacked pileups, float32 ``(N, 6, H*W)``."""
        if not isinstance(examples, Examples):
            raise InputError("pileups are made from reads, not from sequences")
        checked = self.validate(examples)
        if not len(checked):
            return np.zeros((0, len(PILEUP_CHANNELS), self.height * self.width), np.float32)
        return np.stack(checked.features or []).astype(np.float32, copy=False)

    def n_channels(self, length: int = 0) -> int:
        """6 channels."""
        return len(PILEUP_CHANNELS)

    def weights(self) -> dict[str, Any]:
        """No pretrained encoder weights: ``{}``."""
        return {}

    def describe(self, examples: Sequence[str] | Examples) -> dict[str, Any]:
        """``n``, ``n_distinct`` (candidates), ``depth`` ``(N,)`` (read rows in each
        pileup) and ``alt_fraction`` ``(N,)`` (share of those rows supporting the allele)."""
        if not isinstance(examples, Examples) or examples.features is None:
            raise InputError("pileups are made from reads, not from sequences")
        x = self.encode(examples)
        assert isinstance(x, np.ndarray)
        grid = x.reshape(len(x), len(PILEUP_CHANNELS), self.height, self.width)
        centre = grid[:, :, PILEUP_REFERENCE_ROWS:, self.width // 2]
        rows = centre[:, 2] > 0  # a read covers the column: its mapping quality is set
        depth = rows.sum(axis=1).astype(np.float64)
        support = (centre[:, 4] > 0.5).sum(axis=1)
        return {
            "n": len(examples),
            "n_distinct": len(set(examples.ids)),
            "depth": depth,
            "alt_fraction": np.divide(support, np.maximum(depth, 1.0)),
        }


def structure_cache_dir() -> Path | None:
    """Folder of cached ViennaRNA folds: ``$BIODL_CACHE_DIR/structure`` or
    ``~/.cache/biodl/structure``; ``None`` (no cache) if it cannot be written."""
    return _cache_dir("structure")


def unirep_cache_dir() -> Path | None:
    """Folder of cached UniRep embeddings: ``$BIODL_CACHE_DIR/unirep`` or
    ``~/.cache/biodl/unirep``; ``None`` (no cache) if it cannot be written."""
    return _cache_dir("unirep")


def _cache_dir(name: str) -> Path | None:
    base = os.environ.get("BIODL_CACHE_DIR")
    folder = (Path(base) if base else Path.home() / ".cache" / "biodl") / name
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return folder if os.access(folder, os.W_OK) else None


INPUT_KINDS: Mapping[str, Callable[..., InputKind]] = MappingProxyType(
    {
        SequenceKind.name: SequenceKind,
        MatrixKind.name: MatrixKind,
        GraphKind.name: GraphKind,
        MoleculeKind.name: MoleculeKind,
        PileupKind.name: PileupKind,
        TrackKind.name: TrackKind,
    }
)
"""The known input kinds by name; each value builds the kind from keyword options."""


def input_kind(name: str, **options: Any) -> InputKind:
    """The input kind called ``name``, built with ``options``.

    Raises
    ------
    InputError
        ``name`` is not a known kind (the message lists them) or an option is wrong.

    Examples
    --------
    >>> input_kind("sequence", alphabet="protein", encoding="blosum62").n_channels()
    20
    >>> input_kind("image")
    Traceback (most recent call last):
    ...
    biodl.errors.InputError: unknown input kind 'image' (known kinds: graph, matrix, molecule, pileup, sequence, track)
    """  # noqa: E501
    factory = INPUT_KINDS.get(name)
    if factory is None:
        known = ", ".join(sorted(INPUT_KINDS))
        raise InputError(f"unknown input kind {name!r} (known kinds: {known})")
    try:
        return factory(**options)
    except TypeError as exc:
        raise InputError(f"input kind {name!r}: {exc}") from exc
