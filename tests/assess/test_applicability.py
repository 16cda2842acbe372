"""Applicability domain: other distributions are out, held-out data mostly in."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from biodl.assess._encode import encode_for_model, penultimate
from biodl.assess.applicability import applicability, domain_table, write_domain_tsv
from biodl.assess.types import AssessInputs, SplitView
from biodl.models import ModelIO, create_model
from biodl.testing.assess_models import MotifScanner, motif_inputs, motif_view


def _gc_rich(n: int, length: int, seed: int) -> tuple[str, ...]:
    rng = np.random.default_rng(seed)
    letters = np.array(list("ACGT"))
    return tuple(
        "".join(rng.choice(letters, size=length, p=[0.05, 0.45, 0.45, 0.05])) for _ in range(n)
    )


def _inputs(new: tuple[str, ...], *, model: bool = True) -> AssessInputs:
    ids = tuple(f"n{i}" for i in range(len(new)))
    return motif_inputs(
        150,
        length=60,
        seed=0,
        logits=None,
        model=MotifScanner(seed=0) if model else None,
        new_data=(ids, new),
    )


def test_gc_rich_sequences_are_out_and_same_distribution_mostly_in() -> None:
    same = motif_view(50, length=60, seed=99).sequences
    new = same + _gc_rich(50, 60, seed=1)
    item = applicability(_inputs(new))
    rows = item.values["rows"]
    in_same = np.mean([r["in_domain"] for r in rows[:100]])
    in_gc = np.mean([r["in_domain"] for r in rows[100:]])
    assert in_same >= 0.9
    assert in_gc == 0.0
    assert item.values["embedding_threshold"] is not None
    assert all(r["embedding_distance"] is not None for r in rows)
    assert item.flag == "amber"  # two thirds in domain
    assert item.values["fraction_in_domain"] == sum(r["in_domain"] for r in rows) / 150


def test_all_out_of_domain_is_red_and_no_data_is_not_assessed() -> None:
    assert applicability(_inputs(_gc_rich(30, 60, seed=2))).flag == "red"
    assert applicability(motif_inputs(20, logits=None)).flag == "not_assessed"


def test_protein_model_flags_dna_like_sequences() -> None:
    rng = np.random.default_rng(0)
    aa = np.array(list("ACDEFGHIKLMNPQRSTVWY"))

    def proteins(n: int) -> tuple[str, ...]:
        return tuple("".join(rng.choice(aa, size=80)) for _ in range(n))

    def view(seqs: tuple[str, ...]) -> SplitView:
        return SplitView(tuple(map(str, range(len(seqs)))), seqs, np.zeros((len(seqs), 1)))

    dna_like = tuple("".join(rng.choice(list("ACGT"), size=80)) for _ in range(40))
    new = proteins(40) + dna_like
    inputs = AssessInputs(
        "binary",
        "protein",
        ("1",),
        {"train": view(proteins(300)), "test": view(proteins(100))},
        meta={"alphabet": "protein", "input_length": 80, "n_channels": 20},
        new_data=(tuple(f"n{i}" for i in range(80)), new),
    )
    table = domain_table(inputs)
    flags = [r["in_domain"] for r in table.rows]
    assert np.mean(flags[:40]) >= 0.9
    assert not any(flags[40:])
    assert table.embedding_threshold is None
    assert any("k-mer similarity only" in note for note in table.notes)


def test_rows_are_written_as_tsv(tmp_path: Path) -> None:
    table = domain_table(_inputs(_gc_rich(3, 60, seed=3), model=False))
    path = write_domain_tsv(table.rows, tmp_path / "applicability.tsv")
    lines = path.read_text().splitlines()
    assert lines[0] == "id\tkmer_similarity\tembedding_distance\tin_domain"
    assert lines[1].startswith("n0\t")
    assert lines[1].endswith("\tNA\tfalse")
    assert len(lines) == 4


def test_embedding_of_a_two_strand_zoo_model_is_strand_symmetric() -> None:
    model = create_model(
        "deepbind",
        {"strands": "max", "n_filters": 4, "hidden": 6},
        io=ModelIO(n_channels=4, input_length=30, n_outputs=1, alphabet="dna"),
    )
    seqs = motif_view(5, length=30, seed=4).sequences
    meta = {"alphabet": "dna", "input_length": 30}
    X = encode_for_model(meta, seqs)
    X_rc = encode_for_model(meta, [s[::-1].translate(str.maketrans("ACGT", "TGCA")) for s in seqs])
    emb = penultimate(model, X, batch_size=3)
    assert emb is not None
    assert emb.shape == (10, 6)
    np.testing.assert_allclose(emb, penultimate(model, X_rc, batch_size=4), atol=1e-6)


def test_encode_for_model_crops_and_pads_like_training() -> None:
    meta = {"alphabet": "dna", "input_length": 4}
    X = encode_for_model(meta, ["AACCGGTT", "CG"])
    assert X.shape == (2, 4, 4)
    np.testing.assert_array_equal(X[0].argmax(axis=0), [1, 1, 2, 2])  # centre CCGG
    np.testing.assert_array_equal(X[1].sum(axis=0), [0, 1, 1, 0])  # N C G N
