"""experiments/dev_benchmark/association.py: each way of losing association lands in its own
share, and the shares account for what the metric loses."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "experiments" / "dev_benchmark"))
association = pytest.importorskip("association")
from omnigame.evaluation.metrics import association_accuracy  # noqa: E402


def scene():
    """Two objects in one 12x12 frame; object 0 (back) casts an effect of alpha 0.5 on the
    right, part of it under object 1 (front)."""
    masks = np.zeros((2, 1, 12, 12), bool)
    masks[0, 0, 2:5, 2:5] = True
    masks[1, 0, 6:10, 9:12] = True
    true = masks.astype(float)
    true[0, 0, 7:9, 6:12] = 0.5  # columns 9-11 lie under object 1's mask
    order = np.array([[0, 1]])  # back to front: object 1 is in front
    return true, masks, order


def test_perfect_layers_lose_nothing_but_what_is_hidden():
    true, masks, order = scene()
    ours = true.copy()
    ours[0, 0, 7:9, 9:12] = 0.0  # behind object 1: no frame shows it
    shares = association.losses(ours, true, masks, order, 0)
    rim_hidden_rest = dict(zip(association.PARTS, shares))
    assert rim_hidden_rest["hidden"] == pytest.approx(0.5)  # half the effect is behind object 1
    assert sum(shares) - rim_hidden_rest["hidden"] == pytest.approx(0.0)


def test_effect_in_the_other_layer_is_other_and_claimed():
    true, masks, order = scene()
    ours = masks.astype(float)
    ours[1, 0, 7:9, 6:9] = 0.5  # object 1's layer holds the visible part of object 0's effect
    shares = dict(zip(association.PARTS, association.losses(ours, true, masks, order, 0)))
    assert shares["weak"] == 0 and shares["none"] == 0
    assert shares["other"] > 0 and shares["claimed"] > 0
    assert shares["rim"] + shares["other"] == pytest.approx(0.5)  # the visible half
    score = association_accuracy(ours, true, masks)["per_object"][0]
    assert score == pytest.approx(0.0)


def test_faint_and_missing_effect_split_into_weak_and_none():
    true, masks, order = scene()
    ours = masks.astype(float)
    ours[0, 0, 7:9, 6:9] = 0.25  # half the alpha where it is seen; 0 behind object 1
    shares = dict(zip(association.PARTS, association.losses(ours, true, masks, order, 0)))
    assert shares["other"] == 0 and shares["claimed"] == 0 and shares["none"] == 0
    assert shares["weak"] + shares["rim"] == pytest.approx(0.25)
    ours[0, 0, 7:9, 6:9] = 0.0
    shares = dict(zip(association.PARTS, association.losses(ours, true, masks, order, 0)))
    assert shares["weak"] == 0 and shares["none"] + shares["rim"] == pytest.approx(0.5)


def test_ownership_oracle_hands_the_effect_back():
    true, masks, order = scene()
    ours = masks.astype(float)
    ours[1, 0, 7:9, 6:9] = 0.5  # object 1's layer holds object 0's effect
    owned = association.owned_by_truth(ours, true, masks)
    assert (owned[1, 0, 7:9, 6:9] == 0).all() and (owned[0, 0, 7:9, 6:9] == 0.5).all()
    assert (owned[:, :, masks.any(0)[0]] == ours[:, :, masks.any(0)[0]]).all()  # masks untouched
    score = association_accuracy(owned, true, masks)["per_object"][0]
    assert score == pytest.approx(0.5)  # the visible half; the hidden half stays missing


def test_claims_split_the_claimed_share_by_where_it_lies():
    true, masks, order = scene()
    ours = masks.astype(float)
    ours[1, 0, 7:9, 6:9] = 0.5  # object 1's layer holds object 0's visible effect...
    ours[1, 0, 7:9, 8] = 0.0  # ...cut off from its mask by a column: detached, not joined
    split = dict(zip(association.CLAIMS, association.claims(ours, true, masks, 0)))
    claimed = association.losses(ours, true, masks, order, 0)[-1]
    assert sum(split.values()) == pytest.approx(claimed)
    assert split["detached"] > 0 and split["joined"] == 0 and split["overlap"] == 0
    ours[1, 0, 7:9, 8] = 0.5  # joined to object 1's mask (columns 9-11) again
    split = dict(zip(association.CLAIMS, association.claims(ours, true, masks, 0)))
    assert split["detached"] == 0 and split["joined"] > 0
