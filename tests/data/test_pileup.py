"""Candidates, pileups, labels and block splits on tiny BAMs with planted variants.

The BAM names its contig ``1``, the genome ``chr1`` (and the truth VCF ``1``), so every
test also goes through contig-name reconciliation.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from biodl.data.pileup import (
    Candidate,
    CandidateOptions,
    block_split,
    find_candidates,
    label_candidates,
    pileup_tensors,
    read_regions,
    read_truth,
    region_split,
)
from biodl.encode.pileup import REFERENCE_ROWS
from biodl.errors import InputError
from biodl.io import Genome
from biodl.io.reads import Alignments, ReadFilter, open_alignments
from tests.bam_helpers import REF, deletion, insertion, matching, write_bam, write_fasta

SNV = Candidate("chr1", 101, "C", "T", 4, 8)
DEL = Candidate("chr1", 199, "GA", "G", 3, 5)  # one A of GAAAAT (198..203), left-aligned
INS = Candidate("chr1", 251, "A", "AC", 3, 6)


def alt_of(pos: int) -> str:
    """A base other than the reference's at ``pos``."""
    return "T" if REF[pos] != "T" else "G"


def planted_reads() -> list:
    assert REF[100] == "C"
    assert REF[198:204] == "GAAAAT"
    assert REF[250] == "A"
    reads = []
    # het SNV C>T at 100: 4 alt reads, 4 ref reads (one reverse)
    for i in range(4):
        reads.append(matching(f"snv_alt{i}", 80 + 2 * i, subs={100: "T"}))
        reads.append(matching(f"snv_ref{i}", 81 + 2 * i, flag=16 if i == 1 else 0))
    # one read with a mismatch at 150: too little evidence
    reads.append(matching("single", 130, subs={150: alt_of(150)}))
    # mismatch at 160 in 3 reads, but at base quality 5
    for i in range(3):
        quals = [30] * 40
        quals[160 - 140] = 5
        reads.append(matching(f"lowbq{i}", 140, subs={160: alt_of(160)}, qual=quals))
    # mismatch at 170 in 3 duplicates, at 180 in 3 MAPQ-3 reads, at 185 in 2 secondary
    for i in range(3):
        reads.append(matching(f"dup{i}", 150, subs={170: alt_of(170)}, flag=1024))
        reads.append(matching(f"lowmq{i}", 155, subs={180: alt_of(180)}, mapq=3))
    for i in range(2):
        reads.append(matching(f"second{i}", 156, subs={185: alt_of(185)}, flag=256))
    # deletion of one A in GAAAAT, written at three different places
    reads.append(deletion("del0", 180, 201, 1, 225))
    reads.append(deletion("del1", 182, 199, 1, 225))
    reads.append(deletion("del2", 184, 198, 1, 226))
    reads += [matching("delref0", 181), matching("delref1", 183)]
    # insertion of C after the A at 250
    for i in range(3):
        reads.append(insertion(f"ins{i}", 230 + 2 * i, 250, "C", 270 + 2 * i))
        reads.append(matching(f"insref{i}", 231 + 2 * i))
    return reads


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    bam = write_bam(tmp_path / "reads.bam", planted_reads(), contigs={"1": len(REF)})
    fasta = write_fasta(tmp_path / "genome.fa", {"chr1": REF})
    return bam, fasta


@pytest.fixture
def opened(files: tuple[Path, Path]) -> Iterator[tuple[Alignments, Genome]]:
    bam, fasta = files
    with (
        Genome(fasta) as genome,
        open_alignments(bam, genome_contigs=genome.chrom_sizes, genome_name=genome.path) as reads,
    ):
        yield reads, genome


def test_exact_candidates(opened: tuple[Alignments, Genome]) -> None:
    reads, genome = opened
    assert find_candidates(reads, genome) == [SNV, DEL, INS]
    assert [c.kind for c in (SNV, DEL, INS)] == ["snv", "deletion", "insertion"]
    assert DEL.fraction == 0.6
    assert str(DEL) == "chr1:199:GA>G"


def test_thresholds(opened: tuple[Alignments, Genome]) -> None:
    reads, genome = opened
    assert find_candidates(reads, genome, options=CandidateOptions(min_snv_fraction=0.6)) == [
        DEL,
        INS,
    ]
    assert find_candidates(reads, genome, options=CandidateOptions(min_indel_fraction=0.55)) == [
        SNV,
        DEL,
    ]
    assert find_candidates(reads, genome, options=CandidateOptions(min_alt_reads=4)) == [SNV]
    # base quality 5 counts once the threshold is 5: 3 of 4 reads at 160 (one ref read)
    low = find_candidates(reads, genome, options=CandidateOptions(min_base_quality=5))
    assert Candidate("chr1", 161, REF[160], alt_of(160), 3, 4) in low
    assert len(low) == 4
    with pytest.raises(InputError, match="min_snv_fraction must be in"):
        CandidateOptions(min_snv_fraction=1.5)


def test_read_filter_decides(files: tuple[Path, Path]) -> None:
    bam, fasta = files
    with (
        Genome(fasta) as genome,
        open_alignments(
            bam, genome_contigs=genome.chrom_sizes, read_filter=ReadFilter(keep_duplicates=True)
        ) as reads,
    ):
        got = find_candidates(reads, genome)
    assert got == [SNV, Candidate("chr1", 171, REF[170], alt_of(170), 3, 6), DEL, INS]


def test_chunk_size_does_not_change_candidates(opened: tuple[Alignments, Genome]) -> None:
    reads, genome = opened
    for size in (1, 7, 50, 199):
        assert find_candidates(reads, genome, options=CandidateOptions(chunk_size=size)) == [
            SNV,
            DEL,
            INS,
        ]


def test_regions_own_candidates_by_normalised_position(
    opened: tuple[Alignments, Genome], tmp_path: Path
) -> None:
    reads, genome = opened
    bed = tmp_path / "r.bed"
    bed.write_text("1\t190\t260\n")  # BED in the BAM's naming
    assert find_candidates(reads, genome, regions=bed) == [DEL, INS]
    # the deletion's reads put it at 199 and 201, but it belongs at 198
    assert find_candidates(reads, genome, regions=[("chr1", 199, 260)]) == [INS]
    assert find_candidates(reads, genome, regions=[("chr1", 198, 199)]) == [DEL]
    bad = tmp_path / "bad.bed"
    bad.write_text("chrZ\t1\t5\n")
    with pytest.raises(InputError, match="cannot be reconciled"):
        find_candidates(reads, genome, regions=bad)


def test_pileups_supports_and_centre(opened: tuple[Alignments, Genome]) -> None:
    reads, genome = opened
    x = pileup_tensors(reads, genome, [SNV, DEL, INS], height=20, width=21)
    assert x.shape == (3, 6, 20, 21)
    assert x.dtype == np.float32
    centre = 10
    rows = slice(REFERENCE_ROWS, 20)
    # SNV: reads sorted by start alternate alt (80, 82, ...) and ref (81, 83, ...)
    assert x[0, 4, rows, centre].tolist() == [1, 0, 1, 0, 1, 0, 1, 0] + [0] * 7
    assert x[0, 0, rows, centre].tolist() == [1.0, 0.5] * 4 + [0] * 7  # T, C
    assert x[0, 5, rows, centre].tolist() == [1, 0] * 4 + [0] * 7
    assert x[0, 3, REFERENCE_ROWS + 3, centre] == 0.5  # snv_ref1 is reverse
    assert x[0, 0, :REFERENCE_ROWS, centre].tolist() == [0.5] * 5  # reference C
    # deletion: all three spellings support it; centre column = the anchor G
    assert x[1, 4, rows, centre].tolist() == [1, 0, 1, 0, 1] + [0] * 10
    assert x[1, 0, 0, centre : centre + 6].tolist() == [0.75, 0.25, 0.25, 0.25, 0.25, 1.0]
    # insertion: supporting reads flag the anchor base as differing
    assert x[2, 4, rows, centre].tolist() == [1, 0, 1, 0, 1, 0] + [0] * 9
    assert x[2, 5, rows, centre].tolist() == [1, 0, 1, 0, 1, 0] + [0] * 9
    assert x[2, 0, rows, centre].tolist()[:6] == [0.25] * 6  # the anchor base A


def test_pileups_deterministic_per_candidate(opened: tuple[Alignments, Genome]) -> None:
    reads, genome = opened
    small = pileup_tensors(reads, genome, [SNV, DEL, INS], height=8, seed=3)  # 3 read rows
    alone = pileup_tensors(reads, genome, [SNV], height=8, seed=3)
    np.testing.assert_array_equal(small[0], alone[0])
    np.testing.assert_array_equal(
        small, pileup_tensors(reads, genome, [SNV, DEL, INS], height=8, seed=3)
    )
    assert int((small[0, 2, REFERENCE_ROWS:, 50] > 0).sum()) == 3
    assert pileup_tensors(reads, genome, []).shape == (0, 6, 100, 61)


def write_truth(path: Path, records: list[str]) -> Path:
    head = (
        "##fileformat=VCFv4.2\n##contig=<ID=1,length=300>\n"
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n'
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS\n"
    )
    path.write_text(head + "".join(r + "\n" for r in records))
    return path


TRUTH = [
    "1\t101\t.\tC\tT\t50\tPASS\t.\tGT\t0/1",
    "1\t202\t.\tAA\tA\t50\tPASS\t.\tGT\t1/1",  # right-shifted spelling of the deletion
    "1\t251\t.\tA\tAC,ACC\t50\tPASS\t.\tGT\t1|2",
    f"1\t290\t.\t{REF[289]}\tA\t50\tPASS\t.\tGT:DP\t0/1:7",
    "1\t295\t.\tC\tG\t50\tPASS\t.\tGT\t0/0",
]


def test_labels(opened: tuple[Alignments, Genome], tmp_path: Path) -> None:
    reads, genome = opened
    cands = find_candidates(reads, genome)
    vcf = write_truth(tmp_path / "truth.vcf", TRUTH)
    truth = read_truth(vcf, genome)
    assert [(str(t.variant), t.genotype, t.gt) for t in truth] == [
        ("chr1:101:C>T", 1, "0/1"),
        ("chr1:199:GA>G", 2, "1/1"),
        ("chr1:251:A>AC", 1, "1|2"),
        ("chr1:251:A>ACC", 1, "1|2"),
        (f"chr1:290:{REF[289]}>A", 1, "0/1"),
    ]
    bed = tmp_path / "conf.bed"
    bed.write_text("1\t0\t300\n")
    lab = label_candidates(cands, vcf, genome, confident=bed)
    assert lab.labels.tolist() == [1, 2, 1]
    assert [str(t.variant) for t in lab.missed] == ["chr1:251:A>ACC", f"chr1:290:{REF[289]}>A"]
    assert lab.candidate_recall == pytest.approx(3 / 5)
    # outside the confident regions: unlabelled, and not counted as missed
    lab = label_candidates(cands, truth, genome, confident=[("chr1", 150, 280)])
    assert lab.labels.tolist() == [-1, 2, 1]
    assert [str(t.variant) for t in lab.missed] == ["chr1:251:A>ACC"]
    # a candidate with no truth record inside the confident regions is hom-ref
    lab = label_candidates(cands, truth[1:], genome)
    assert lab.labels.tolist() == [0, 2, 1]
    lab = label_candidates(cands, truth, genome, searched=[("chr1", 0, 280)])
    assert len(lab.truth) == 4


def test_truth_on_another_assembly(opened: tuple[Alignments, Genome], tmp_path: Path) -> None:
    _, genome = opened
    wrong = "G" if REF[100] != "G" else "A"
    vcf = write_truth(tmp_path / "t.vcf", [f"1\t101\t.\t{wrong}\tT\t50\tPASS\t.\tGT\t0/1"])
    with pytest.raises(InputError, match="differs from the genome's C at chr1:101"):
        read_truth(vcf, genome)
    other = write_truth(tmp_path / "o.vcf", ["chrQ\t101\t.\tC\tT\t50\tPASS\t.\tGT\t0/1"])
    with pytest.raises(InputError, match=r"o\.vcf: contig names cannot be reconciled"):
        read_truth(other, genome)


def random_candidates(n: int, seed: int) -> list[Candidate]:
    rng = np.random.default_rng(seed)
    chroms = rng.choice(["chr1", "chr2"], size=n)
    pos = rng.integers(1, 60_000, size=n)
    return [Candidate(str(c), int(p), "A", "G") for c, p in zip(chroms, pos, strict=True)]


def check_partition(splits: tuple[np.ndarray, ...], n: int) -> None:
    together = np.sort(np.concatenate(splits))
    np.testing.assert_array_equal(together, np.arange(n))


def check_windows_disjoint(
    cands: list[Candidate], splits: tuple[np.ndarray, ...], width: int
) -> None:
    spans: list[tuple[str, int, int, int]] = []
    for k, idx in enumerate(splits[:3]):
        for i in idx.tolist():
            lo = cands[i].start - width // 2
            spans.append((cands[i].chrom, lo, lo + width, k))
    spans.sort()
    # windows of different splits never overlap: check against every window in reach
    for a, (chrom, lo, hi, k) in enumerate(spans):
        for chrom2, lo2, _, k2 in spans[a + 1 :]:
            if chrom2 != chrom or lo2 >= hi:
                break
            assert k2 == k, (chrom, lo, hi, k, lo2, k2)


def test_block_split_invariants() -> None:
    cands = random_candidates(3000, 1)
    width, block = 61, 1000
    s = block_split(cands, block_size=block, seed=5, width=width)
    check_partition(s, len(cands))
    check_windows_disjoint(cands, s, width)
    assert len(s.train) > len(s.valid) > 0
    assert len(s.test) > 0
    assert len(s.dropped) > 0
    # a candidate is dropped only when its window reaches into another block
    for i in s.dropped.tolist():
        lo = cands[i].start - width // 2
        assert lo // block != (lo + width - 1) // block
    again = block_split(cands, block_size=block, seed=5, width=width)
    assert all(np.array_equal(a, b) for a, b in zip(s, again, strict=True))
    other = block_split(cands, block_size=block, seed=6, width=width)
    assert not np.array_equal(s.test, other.test)
    # the split of a block does not depend on the other candidates
    sub = block_split(cands[:100], block_size=block, seed=5, width=width)
    assert set(sub.test.tolist()) == {i for i in s.test.tolist() if i < 100}
    with pytest.raises(InputError, match="at least the pileup width"):
        block_split(cands, block_size=50)


def test_region_split_invariants() -> None:
    cands = random_candidates(3000, 2)
    regions = [("chr1", 1000, 5000), ("chr1", 20_000, 20_500), ("chr2", 0, 8000)]
    s = region_split(cands, regions, valid_fraction=0.2, block_size=2000, seed=1)
    check_partition(s, len(cands))
    check_windows_disjoint(cands, s, 61)
    for i in s.test.tolist():
        c = cands[i]
        assert any(
            c.chrom == ch and a <= c.start - 30 and c.start + 31 <= b for ch, a, b in regions
        )
    for i in np.concatenate([s.train, s.valid]).tolist():
        c = cands[i]
        assert not any(
            c.chrom == ch and a < c.start + 31 and c.start - 30 < b for ch, a, b in regions
        )


def test_read_regions_renames_merges_and_clips(opened: tuple[Alignments, Genome]) -> None:
    _, genome = opened
    got = read_regions([("1", 250, 400), ("1", 10, 20), ("1", 15, 30), ("MT", 0, 5)], genome)
    assert got == [("chr1", 10, 30), ("chr1", 250, 300)]


DATA = Path("/work/shared/data")
GIAB = DATA / "varcall_giab_chr20_mini"
GUAC = DATA / "varcall_guacamole_na12878" / "gatk_mini_bundle_extract.bam"


@pytest.mark.slow
@pytest.mark.skipif(not GUAC.exists(), reason="real variant-calling data not present")
def test_real_reads_find_the_confident_truth() -> None:
    """NA12878 ~8x (contig ``20``) against hg19 chr20 and GIAB truth (``chr20``)."""
    truth = GIAB / "test_nist.b37_chr20_100kbp_at_10mb.vcf.gz"
    with (
        Genome(GIAB / "ucsc.hg19.chr20.unittest.fasta.gz") as genome,
        open_alignments(GUAC, genome_contigs=genome.chrom_sizes, genome_name=genome.path) as reads,
    ):
        assert dict(reads.contigs) == {"chr20": "20"}
        t0 = time.perf_counter()
        cands = find_candidates(reads, genome, regions=[("20", 9_999_000, 10_272_000)])
        seconds = time.perf_counter() - t0
        conf = label_candidates(cands, truth, genome, confident=GIAB / (truth.name[:-7] + ".bed"))
        everywhere = label_candidates(cands, truth, genome)
        x = pileup_tensors(reads, genome, cands[:50])
    assert len(conf.truth) == 49  # SOURCE.md: 49 truth variants in the confident BED
    found = len(conf.truth) - len(conf.missed)
    assert found >= 40, [str(t.variant) for t in conf.missed]  # measured: 48 of 49
    records = {t.variant.record for t in everywhere.truth}
    hit = {t.variant.record for t in everywhere.truth if t not in everywhere.missed}
    assert len(records) == 221
    assert len(hit) >= 160  # measured: 185 of 221 records (8x depth, min 2 alt reads)
    labelled = conf.labels[conf.labels >= 0]
    assert set(labelled.tolist()) <= {0, 1, 2}
    assert (labelled > 0).sum() == found
    assert 200 < len(cands) < 2000
    assert x.shape == (50, 6, 100, 61)
    assert float(x.max()) <= 1.0
    assert float(x.min()) >= 0.0
    assert seconds < 30  # measured: about 0.4 s for the 273 kb
