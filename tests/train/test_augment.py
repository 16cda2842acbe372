from __future__ import annotations

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from biodl.encode import one_hot, reverse_complement
from biodl.train import augment_batch, random_reverse_complement, random_shift


def test_reverse_complement_all_or_nothing() -> None:
    x = torch.from_numpy(one_hot(["AACGTTTG", "CCCGATAA"]))
    rc = torch.from_numpy(one_hot([reverse_complement("AACGTTTG"), reverse_complement("CCCGATAA")]))
    torch.testing.assert_close(random_reverse_complement(x, p=1.0), rc)
    torch.testing.assert_close(random_reverse_complement(x, p=0.0), x)


@given(st.integers(0, 5), st.integers(0, 2**31 - 1))
@settings(max_examples=30, deadline=None)
def test_shift_moves_whole_sequences(max_shift: int, seed: int) -> None:
    torch.manual_seed(seed)
    idx = torch.randint(0, 4, (6, 20))
    x = torch.nn.functional.one_hot(idx, 4).permute(0, 2, 1).float()
    y = random_shift(x, max_shift)
    assert y.shape == x.shape
    for i in range(x.shape[0]):
        # some shift s in [-max_shift, max_shift] explains row i exactly
        ok = False
        for s in range(-max_shift, max_shift + 1):
            expected = torch.zeros_like(x[i])
            if s >= 0:
                expected[:, s:] = x[i, :, : x.shape[2] - s]
            else:
                expected[:, :s] = x[i, :, -s:]
            ok = ok or torch.equal(y[i], expected)
        assert ok


def test_augmentation_is_seeded() -> None:
    x = torch.from_numpy(one_hot(["ACGTACGTAC"] * 8))
    torch.manual_seed(3)
    a = augment_batch(x, reverse_complement=True, max_shift=2)
    torch.manual_seed(3)
    b = augment_batch(x, reverse_complement=True, max_shift=2)
    torch.testing.assert_close(a, b)
    assert torch.equal(augment_batch(x, reverse_complement=False, max_shift=0), x)


def test_balanced_sampler_draws_classes_equally_and_shards() -> None:
    from collections import Counter

    from biodl.train import BalancedSampler

    labels = [0] * 90 + [1] * 8 + [2] * 2
    single = BalancedSampler(labels, num_replicas=1, rank=0, seed=3)
    single.set_epoch(1)
    order = list(single)
    assert len(order) == len(single) == 100
    counts = Counter(labels[i] for i in order)
    assert max(counts.values()) - min(counts.values()) <= 1
    shards = []
    for rank in range(2):
        s = BalancedSampler(labels, num_replicas=2, rank=rank, seed=3)
        s.set_epoch(1)
        shards.append(list(s))
    interleaved = [i for pair in zip(*shards, strict=True) for i in pair]
    assert interleaved == order  # same global order whatever the number of processes
    single.set_epoch(2)
    assert list(single) != order
