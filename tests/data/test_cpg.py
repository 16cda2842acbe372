"""CpG neighbourhood features, targets and the packed DeepCpG input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from biodl.data.cpg import (
    CPG_CELLS,
    CPG_WINDOW,
    DNA_LENGTH,
    MISSING_STATE,
    CpgPacking,
    cpg_channels,
    cpg_layout,
    cpg_neighbours,
    cpg_sites_and_targets,
    pack_cpg_inputs,
)
from biodl.io.cpg import CpgProfile


def reference_neighbours(
    profile: CpgProfile, chroms: list[str], positions: list[int], window: int, max_distance: int
) -> tuple[np.ndarray, np.ndarray]:
    """Pure-Python nearest observed sites: upstream far..near, then downstream near..far."""
    sites: dict[str, list[tuple[int, float]]] = {}
    for c, p, s in zip(profile.chroms, profile.positions, profile.states, strict=True):
        sites.setdefault(str(c), []).append((int(p), float(s)))
    states = np.full((len(positions), 2 * window), MISSING_STATE, dtype=np.float32)
    dists = np.ones((len(positions), 2 * window), dtype=np.float32)
    for row, (chrom, q) in enumerate(zip(chroms, positions, strict=True)):
        chrom = chrom.removeprefix("chr")
        on_chrom = sites.get(chrom, [])
        upstream = sorted((s for s in on_chrom if s[0] < q), key=lambda s: q - s[0])[:window]
        downstream = sorted((s for s in on_chrom if s[0] > q), key=lambda s: s[0] - q)[:window]
        for i, (p, s) in enumerate(upstream):  # nearest goes to column window - 1
            states[row, window - 1 - i] = s
            dists[row, window - 1 - i] = np.float32(min(q - p, max_distance)) / np.float32(
                max_distance
            )
        for i, (p, s) in enumerate(downstream):
            states[row, window + i] = s
            dists[row, window + i] = np.float32(min(p - q, max_distance)) / np.float32(max_distance)
    return states, dists


CHROMS = ["1", "2", "chrX"]
profile_sites = st.lists(
    st.tuples(st.sampled_from(CHROMS), st.integers(0, 150), st.sampled_from([0.0, 0.25, 1.0])),
    max_size=60,
    unique_by=lambda t: (t[0], t[1]),
)
query_sites = st.lists(
    st.tuples(st.sampled_from([*CHROMS, "3", "chr1"]), st.integers(0, 160)), max_size=40
)


@settings(max_examples=150, deadline=None)
@given(
    sites=profile_sites,
    queries=query_sites,
    window=st.integers(1, 5),
    max_distance=st.integers(1, 200),
)
def test_neighbours_match_a_brute_force_reference(
    sites: list[tuple[str, int, float]],
    queries: list[tuple[str, int]],
    window: int,
    max_distance: int,
) -> None:
    profile = CpgProfile.from_arrays(
        [s[0] for s in sites], [s[1] for s in sites], [s[2] for s in sites]
    )
    chroms = [q[0] for q in queries]
    positions = [q[1] for q in queries]
    states, dists = cpg_neighbours(
        profile, chroms, positions, window=window, max_distance=max_distance
    )
    ref_states, ref_dists = reference_neighbours(profile, chroms, positions, window, max_distance)
    assert states.shape == dists.shape == (len(queries), 2 * window)
    assert states.dtype == dists.dtype == np.float32
    np.testing.assert_array_equal(states, ref_states)
    np.testing.assert_allclose(dists, ref_dists, rtol=1e-6)
    assert np.all((dists > 0) & (dists <= 1))


def test_a_site_is_never_its_own_neighbour() -> None:
    rng = np.random.default_rng(0)
    n = 2_000
    positions = np.sort(rng.choice(100_000, n, replace=False))
    unique_states = np.arange(n, dtype=np.float32) / n  # every site has its own value
    profile = CpgProfile.from_arrays(["7"] * n, positions, unique_states)
    states, dists = cpg_neighbours(profile, ["7"] * n, positions, window=4)
    assert not np.any(states == unique_states[:, None])
    assert np.all(dists > 0)
    # and the nearest neighbours are the adjacent sites
    np.testing.assert_array_equal(states[1:, 3], unique_states[:-1])
    np.testing.assert_array_equal(states[:-1, 4], unique_states[1:])


def test_neighbours_never_cross_chromosomes_and_missing_ones_are_filled() -> None:
    profile = CpgProfile.from_arrays(
        ["1", "1", "1", "2", "2"], [10, 20, 30, 25, 31], [1, 0, 1, 0, 0]
    )
    states, dists = cpg_neighbours(
        profile, ["1", "2", "3"], [20, 25, 20], window=2, max_distance=100
    )
    # chr1:20: upstream (far, near) = (missing, 10); downstream (near, far) = (30, missing)
    assert states[0].tolist() == [0.5, 1.0, 1.0, 0.5]
    np.testing.assert_allclose(dists[0], [1.0, 0.1, 0.1, 1.0])
    # chr2:25 is observed (state 0) but only chr2:31 is a neighbour; nothing from chr1
    assert states[1].tolist() == [0.5, 0.5, 0.0, 0.5]
    np.testing.assert_allclose(dists[1], [1.0, 1.0, 0.06, 1.0])
    # a chromosome the cell never observed: everything missing
    assert states[2].tolist() == [0.5] * 4
    assert dists[2].tolist() == [1.0] * 4


def test_far_neighbours_are_kept_with_distance_one() -> None:
    profile = CpgProfile.from_arrays(["1", "1"], [100, 100_000], [1, 0])
    states, dists = cpg_neighbours(profile, ["1"], [50_100], window=1)
    assert states.tolist() == [[1.0, 0.0]]
    assert dists.tolist() == [[1.0, 1.0]]
    _, dists = cpg_neighbours(profile, ["1"], [200], window=1)
    np.testing.assert_allclose(dists, [[100 / 25_000, 1.0]])


def test_many_sites_are_processed_in_blocks_consistently() -> None:
    rng = np.random.default_rng(1)
    n = 150_000  # more than one block of queries
    positions = np.sort(rng.choice(10**7, n, replace=False))
    profile = CpgProfile.from_arrays(["1"] * n, positions, rng.integers(0, 2, n))
    queries = rng.choice(positions, 500)
    states, dists = cpg_neighbours(profile, ["1"] * n, positions, window=3)
    index = np.searchsorted(positions, queries)
    small_s, small_d = cpg_neighbours(profile, ["1"] * len(queries), queries, window=3)
    np.testing.assert_array_equal(states[index], small_s)
    np.testing.assert_array_equal(dists[index], small_d)
    # the sites' own neighbours: the adjacent sites in the sorted profile
    np.testing.assert_array_equal(states[1:, 2], profile.states[:-1])
    np.testing.assert_array_equal(states[:-1, 3], profile.states[1:])


def test_bad_arguments() -> None:
    profile = CpgProfile.from_arrays(["1"], [1], [1])
    with pytest.raises(ValueError, match="at least 1"):
        cpg_neighbours(profile, ["1"], [1], window=0)
    with pytest.raises(ValueError, match="at least 1"):
        cpg_neighbours(profile, ["1"], [1], window=1, max_distance=0)
    with pytest.raises(ValueError, match="one length"):
        cpg_neighbours(profile, ["1", "1"], [1], window=1)


def test_targets_are_nan_where_a_cell_has_no_observation() -> None:
    a = CpgProfile.from_arrays(["1", "1", "2", "10"], [10, 30, 5, 1], [1, 0, 1, 1])
    b = CpgProfile.from_arrays(["chr1", "1", "2"], [10, 20, 7], [0, 1, 0])
    chroms, positions, targets = cpg_sites_and_targets({"a": a, "b": b})
    assert chroms.tolist() == ["1", "1", "1", "10", "2", "2"]
    assert positions.tolist() == [10, 20, 30, 1, 5, 7]
    assert positions.dtype == np.int64
    assert targets.dtype == np.float32
    expected = [[1, 0], [np.nan, 1], [0, np.nan], [1, np.nan], [1, np.nan], [np.nan, 0]]
    np.testing.assert_array_equal(targets, np.array(expected, dtype=np.float32))
    # cell order follows the mapping
    _, _, swapped = cpg_sites_and_targets({"b": b, "a": a})
    np.testing.assert_array_equal(swapped, targets[:, ::-1])
    chroms, positions, targets = cpg_sites_and_targets({"a": a, "b": b}, chroms=["chr2", "10"])
    assert list(zip(chroms.tolist(), positions.tolist(), strict=True)) == [
        ("10", 1),
        ("2", 5),
        ("2", 7),
    ]
    assert targets.shape == (3, 2)
    with pytest.raises(ValueError, match="no profiles"):
        cpg_sites_and_targets({})


def test_every_observation_is_a_target_exactly_once() -> None:
    rng = np.random.default_rng(3)
    profiles = {}
    for cell in range(3):
        n = 400
        chroms = rng.choice(["1", "2"], n)
        positions = rng.integers(0, 2_000, n)
        keep = np.unique(np.char.add(chroms, positions.astype(str)), return_index=True)[1]
        profiles[f"c{cell}"] = CpgProfile.from_arrays(
            chroms[keep], positions[keep], rng.integers(0, 2, len(keep))
        )
    chroms, positions, targets = cpg_sites_and_targets(profiles)
    assert np.all(np.isfinite(targets).any(axis=1))  # every site observed at least once
    for column, profile in enumerate(profiles.values()):
        assert np.isfinite(targets[:, column]).sum() == len(profile)
        for c in ("1", "2"):
            on = chroms == c
            observed = np.isfinite(targets[on, column])
            np.testing.assert_array_equal(positions[on][observed], profile.on(c)[0])
            np.testing.assert_array_equal(targets[on, column][observed], profile.on(c)[1])


def test_packing_layout() -> None:
    a = CpgProfile.from_arrays(["1", "1", "1"], [10, 20, 40], [1, 0, 1])
    b = CpgProfile.from_arrays(["1", "1"], [15, 30], [0, 1])
    profiles = {"a": a, "b": b}
    chroms, positions = ["1", "1"], [20, 30]
    x = pack_cpg_inputs(profiles, chroms, positions, window=2)
    packing = CpgPacking(2, 2, 0)
    assert x.shape == (2, packing.channels, packing.length) == (2, 4, 4)
    assert x.dtype == np.float32
    for cell, profile in enumerate(profiles.values()):
        states, dists = cpg_neighbours(profile, chroms, positions, window=2)
        np.testing.assert_array_equal(x[:, 2 * cell], states)
        np.testing.assert_array_equal(x[:, 2 * cell + 1], dists)
        np.testing.assert_array_equal(x[:, packing.state_channels][:, cell], states)
        np.testing.assert_array_equal(x[:, packing.distance_channels][:, cell], dists)

    # with DNA longer than 2K: DNA first, CpG channels zero after position 2K
    rng = np.random.default_rng(0)
    dna = np.eye(4, dtype=np.float32)[rng.integers(0, 4, (2, 9))].transpose(0, 2, 1)
    x = pack_cpg_inputs(profiles, chroms, positions, window=2, dna=dna)
    packing = CpgPacking(2, 2, 9)
    assert x.shape == (2, 8, 9) == (2, packing.channels, packing.length)
    np.testing.assert_array_equal(x[:, :4], dna)
    assert packing.state_channels == slice(4, 8, 2)
    np.testing.assert_array_equal(x[:, 4, :4], cpg_neighbours(a, chroms, positions, window=2)[0])
    assert not x[:, 4:, 4:].any()

    # with DNA shorter than 2K: DNA zero-padded at the end
    x = pack_cpg_inputs(profiles, chroms, positions, window=5, dna=dna[:, :, :3])
    assert x.shape == (2, 8, 10)
    np.testing.assert_array_equal(x[:, :4, :3], dna[:, :, :3])
    assert not x[:, :4, 3:].any()

    with pytest.raises(ValueError, match="dna must have shape"):
        pack_cpg_inputs(profiles, chroms, positions, window=2, dna=dna[:1])
    with pytest.raises(ValueError, match="no profiles"):
        pack_cpg_inputs({}, chroms, positions, window=2)


def test_layout_helpers() -> None:
    assert cpg_layout(3, 25, 1001) == ((CPG_CELLS, 3), (CPG_WINDOW, 25), (DNA_LENGTH, 1001))
    assert CpgPacking.from_layout(cpg_layout(3, 25, 0)) == CpgPacking(3, 25, 0)
    assert CpgPacking.from_layout(((CPG_CELLS, 2), (CPG_WINDOW, 4))).dna_length == 0
    assert cpg_channels(3, 0) == 6
    assert cpg_channels(3, 1) == 10
    assert CpgPacking(3, 25, 1001).length == 1001
    assert CpgPacking(3, 25, 11).length == 50
    assert CpgPacking(1, 1).distance_channels == slice(1, 2, 2)
    for bad in [(0, 1, 0), (1, 0, 0), (1, 1, -1)]:
        with pytest.raises(ValueError, match="need n_cells"):
            CpgPacking(*bad)
