"""Scores on analytic models: exact effect sizes, strands, REF policies, ISM, invariance."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

from biodl.errors import InputError
from biodl.io import Genome
from biodl.testing.variants import CountBase, PalindromicCount, PositionWeights, write_genome
from biodl.variants import Variant, ism_positions, outputs_from_logits, score_variants

CHR_A = "TTGACCACACAGTGGATCCA"
CHR_B = "GGGCCCAAAT"


@pytest.fixture(scope="module")
def genome(tmp_path_factory: pytest.TempPathFactory) -> Genome:
    folder = tmp_path_factory.mktemp("genome")
    g = Genome(write_genome(folder / "g.fa", {"chrA": CHR_A, "chrB": CHR_B}))
    yield g
    g.close()


def _one(model: torch.nn.Module, genome: Genome, v: Variant, **kw: object) -> object:
    [s] = score_variants(model, genome, [v], device="cpu", **kw)  # type: ignore[arg-type]
    return s


def test_count_g_exact_effects(genome: Genome) -> None:
    # REF window CACACAG (one G), ALT CACGCAG (two G)
    s = _one(CountBase("G"), genome, Variant("chrA", 9, "A", "G"), length=7, task="regression")
    assert s.status == "scored"
    np.testing.assert_array_equal(s.ref, [1.0])
    np.testing.assert_array_equal(s.alt, [2.0])
    np.testing.assert_array_equal(s.diff, [1.0])
    assert s.lor is None
    # binary: probabilities are sigmoid of the counts; LOR = logit difference = 1 exactly
    b = _one(CountBase("G"), genome, Variant("chrA", 9, "A", "G"), length=7, task="binary")
    sig = 1 / (1 + math.exp(-1)), 1 / (1 + math.exp(-2))
    np.testing.assert_allclose(b.ref, [sig[0]], rtol=1e-12)
    np.testing.assert_allclose(b.alt, [sig[1]], rtol=1e-12)
    np.testing.assert_allclose(b.diff, [sig[1] - sig[0]], rtol=1e-12)
    np.testing.assert_array_equal(b.lor, [1.0])


def test_deletion_and_insertion_exact_effects(genome: Genome) -> None:
    # deletion AGT>A at 0-based 10: REF CACAGTG (1 T, 2 A) -> ALT CACAGGA (0 T, 3 A)
    v = Variant("chrA", 11, "AGT", "A")
    s = _one(CountBase("T"), genome, v, length=7, task="regression")
    np.testing.assert_array_equal([s.ref[0], s.alt[0], s.diff[0]], [1.0, 0.0, -1.0])
    s = _one(CountBase("A"), genome, v, length=7, task="regression")
    np.testing.assert_array_equal([s.ref[0], s.alt[0], s.diff[0]], [2.0, 3.0, 1.0])
    # insertion T>TAA: REF GGATCCA (2 A) -> ALT GGATAAC (3 A)
    s = _one(CountBase("A"), genome, Variant("chrA", 17, "T", "TAA"), length=7, task="regression")
    np.testing.assert_array_equal([s.ref[0], s.alt[0], s.diff[0]], [2.0, 3.0, 1.0])


def test_n_padding_encodes_as_zero_or_uniform(genome: Genome) -> None:
    # chrB end: REF AAATNNN, ALT AAACNNN; uniform N adds 0.25 per N to every count
    v = Variant("chrB", 10, "T", "C")
    zero = _one(CountBase("C"), genome, v, length=7, task="regression")
    uniform = _one(CountBase("C"), genome, v, length=7, task="regression", unknown="uniform")
    np.testing.assert_array_equal([zero.ref[0], zero.alt[0]], [0.0, 1.0])
    np.testing.assert_array_equal([uniform.ref[0], uniform.alt[0]], [0.75, 1.75])


def test_position_weights_see_the_anchor(genome: Genome) -> None:
    # weight only at window index L // 2 = 3 (even L = 6): the score is the anchor base's weight
    w = torch.zeros(2, 4, 6)
    w[0, :, 3] = torch.tensor([1.0, 2.0, 3.0, 4.0])
    w[1, :, 2] = torch.tensor([10.0, 20.0, 30.0, 40.0])  # left neighbour (C at 0-based 7)
    s = _one(PositionWeights(w), genome, Variant("chrA", 9, "A", "G"), length=6, task="regression")
    np.testing.assert_array_equal(s.ref, [1.0, 20.0])
    np.testing.assert_array_equal(s.alt, [3.0, 20.0])
    np.testing.assert_array_equal(s.diff, [2.0, 0.0])


def test_strands_both(genome: Genome) -> None:
    v = Variant("chrA", 9, "A", "G")
    sym_f = _one(PalindromicCount(), genome, v, length=7, task="regression", strands="forward")
    sym_b = _one(PalindromicCount(), genome, v, length=7, task="regression", strands="both")
    np.testing.assert_array_equal(sym_f.diff, sym_b.diff)
    np.testing.assert_array_equal(sym_f.ref, sym_b.ref)
    # G count averaged with the G count of the reverse complement (= C count):
    # REF CACACAG: (1 + 3) / 2 = 2; ALT CACGCAG: (2 + 3) / 2 = 2.5
    s = _one(CountBase("G"), genome, v, length=7, task="regression", strands="both")
    np.testing.assert_array_equal([s.ref[0], s.alt[0], s.diff[0]], [2.0, 2.5, 0.5])


def test_multiclass_scores_and_lor() -> None:
    z = np.array([[0.0, 1.0, 2.0], [1.0, 1.0, -1.0]])
    p, lo = outputs_from_logits(z, "multiclass")
    expected = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    np.testing.assert_allclose(p, expected, rtol=1e-12)
    np.testing.assert_allclose(lo, np.log(expected / (1 - expected)), rtol=1e-10)


def test_multiallelic_record_gives_two_results(genome: Genome) -> None:
    vs = [Variant("chrA", 9, "A", "G", record=0, allele=1), Variant("chrA", 9, "A", "C", allele=2)]
    g, c = score_variants(CountBase("G"), genome, vs, length=7, task="regression", device="cpu")
    assert (g.variant.alt, c.variant.alt) == ("G", "C")
    assert (g.diff[0], c.diff[0]) == (1.0, 0.0)


def test_two_spellings_of_one_indel_score_the_same(genome: Genome) -> None:
    forms = [
        Variant("chrA", 12, "GTG", "G"),
        Variant("chrA", 10, "CAGT", "CA"),
        Variant("chrA", 11, "AGT", "A"),
    ]
    model = PositionWeights(torch.randn(2, 4, 9, generator=torch.Generator().manual_seed(0)))
    scores = list(score_variants(model, genome, forms, length=9, task="multilabel", device="cpu"))
    assert {(s.normalized.pos, s.normalized.ref, s.normalized.alt) for s in scores} == {
        (11, "AGT", "A")
    }
    for s in scores[1:]:
        np.testing.assert_array_equal(s.ref, scores[0].ref)
        np.testing.assert_array_equal(s.alt, scores[0].alt)
        np.testing.assert_array_equal(s.lor, scores[0].lor)


def test_ref_mismatch_policies(genome: Genome) -> None:
    bad = Variant("chrA", 9, "C", "G", id="rs9")  # genome has A at 1-based 9
    with pytest.raises(InputError, match=r"record 'chrA:9:C>G rs9'.*REF 'C' .*genome 'A'"):
        _one(CountBase("G"), genome, bad, length=7, task="regression", source="in.vcf")
    s = _one(CountBase("G"), genome, bad, length=7, task="regression", ref_mismatch="skip")
    assert (s.status, s.reason, s.diff) == ("skipped", "ref_mismatch", None)
    with pytest.warns(UserWarning, match="REF 'C' does not match the genome 'A'"):
        w = _one(CountBase("G"), genome, bad, length=7, task="regression", ref_mismatch="warn")
    assert (w.status, w.reason, w.diff[0]) == ("scored", "ref_mismatch", 1.0)  # as A>G
    # an N in REF matches any base
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        n = _one(CountBase("G"), genome, Variant("chrA", 9, "N", "G"), length=7, task="regression")
    assert n.status == "scored"
    # past the chromosome end (chrB has 10 bases): always a mismatch
    with pytest.raises(InputError, match="past the end of chrB"):
        _one(CountBase("G"), genome, Variant("chrB", 10, "TA", "T"), length=7)


def test_skips_with_reasons(genome: Genome) -> None:
    vs = [
        Variant("chrA", 9, "A", "<DEL>"),
        Variant("chrA", 9, "A", "*"),
        Variant("chrA", 9, "A", "."),
        Variant("chrA", 9, "A", "A]chrB:2]"),
        Variant("chrZ", 9, "A", "G"),
        Variant("chrA", 9, "A", "G"),
    ]
    got = [(s.status, s.reason) for s in score_variants(CountBase(), genome, vs, length=7)]
    assert got == [
        ("skipped", "symbolic_allele"),
        ("skipped", "spanning_deletion"),
        ("skipped", "no_alt"),
        ("skipped", "breakend"),
        ("skipped", "chrom_not_in_genome"),
        ("scored", ""),
    ]


def test_ism_exact_on_linear_model(genome: Genome) -> None:
    w = torch.randn(1, 4, 7, generator=torch.Generator().manual_seed(1))
    s = _one(PositionWeights(w), genome, Variant("chrA", 9, "A", "G"), length=7, ism_window=3)
    assert s.ism.shape == (1, 3, 4)
    ref_win = "CACACAG"
    for j, p in enumerate(ism_positions(7, 3)):  # 2, 3, 4
        ref_base = "ACGT".index(ref_win[p])
        expected = (w[0, :, p] - w[0, ref_base, p]).double().numpy()
        np.testing.assert_allclose(s.ism[0, j], expected, atol=1e-6)


def test_results_do_not_depend_on_chunking_or_workers(genome: Genome) -> None:
    rng = np.random.default_rng(0)
    vs = []
    for _ in range(60):
        chrom = "chrA" if rng.random() < 0.6 else "chrB"
        seq = CHR_A if chrom == "chrA" else CHR_B
        i = int(rng.integers(len(seq)))
        alt = "ACGT"[(("ACGT".index(seq[i])) + int(rng.integers(1, 4))) % 4]
        vs.append(Variant(chrom, i + 1, seq[i], alt))
    model = PositionWeights(torch.randn(3, 4, 8, generator=torch.Generator().manual_seed(2)))
    base = list(score_variants(model, genome, vs, length=8, task="multiclass", device="cpu"))
    other = list(
        score_variants(
            model, genome, vs, length=8, task="multiclass", batch_size=7, chunk_size=5, workers=2
        )
    )
    assert len(base) == len(other) == 60
    for a, b in zip(base, other, strict=True):
        assert a.variant == b.variant
        np.testing.assert_allclose(a.diff, b.diff, atol=1e-6)
        np.testing.assert_allclose(a.lor, b.lor, atol=1e-5)


def test_bad_options(genome: Genome) -> None:
    with pytest.raises(InputError, match="ISM window"):
        list(score_variants(CountBase(), genome, [], length=7, ism_window=8))
    with pytest.raises(InputError, match="batch_size"):
        list(score_variants(CountBase(), genome, [], length=7, batch_size=0))


def test_reads_bgzipped_genome(tmp_path: Path) -> None:
    path = write_genome(tmp_path / "g.fa.gz", {"chrA": CHR_A}, bgzip=True)
    with Genome(path) as g:
        s = _one(CountBase("G"), g, Variant("chrA", 9, "A", "G"), length=7, task="regression")
    assert s.diff[0] == 1.0


@pytest.mark.parametrize("strands", ["forward", "both"])
def test_ism_matches_naive_mutants_on_deepbind(
    genome: Genome, tmp_path: Path, strands: str
) -> None:
    from biodl.runs import load_run
    from biodl.testing.variants import write_tiny_run
    from biodl.variants.scoring import _Scorer

    run = load_run(write_tiny_run(tmp_path / "run", length=9, seed=3))
    vs = [
        Variant("chrA", 9, "A", "G"),
        Variant("chrB", 2, "G", "T"),
        Variant("chrA", 12, "GTG", "G"),
    ]
    scores = list(
        score_variants(run.model, genome, vs, length=9, ism_window=5, strands=strands, device="cpu")
    )
    scorer = _Scorer(
        run.model,
        genome,
        length=9,
        task="binary",
        unknown="zero",
        strands=strands,  # type: ignore[arg-type]
        ref_mismatch="error",
        batch_size=256,
        device="cpu",
        ism_window=5,
        source=None,
    )
    chunk = scorer.encode(scorer.prepare(vs))
    X_ref = chunk.X[: len(vs)]
    from biodl.models import predict

    z_ref = predict(scorer.net, X_ref, device="cpu").numpy().astype(np.float64)
    naive = scorer._ism_naive(X_ref, z_ref)
    got = np.stack([s.ism for s in scores])
    assert got.shape == (3, 1, 5, 4)
    np.testing.assert_allclose(got, naive, atol=1e-5)
    # the map's entry for an SNV's own ALT base at the anchor is its log odds ratio
    assert got[0, 0, 2, "ACGT".index("G")] == pytest.approx(scores[0].lor[0], abs=1e-5)
    assert got[1, 0, 2, "ACGT".index("T")] == pytest.approx(scores[1].lor[0], abs=1e-5)
