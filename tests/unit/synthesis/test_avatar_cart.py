"""What the avatar and CART methods do, checked on their own terms."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bulle.synthesis.base import make


def mixed(n=400, seed=0):
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 90, n)
    return pd.DataFrame(
        {
            "age": age,
            "income": np.round(age * 30 + rng.normal(0, 100, n), 2),
            "sex": rng.choice(["F", "M"], n),
            "town": rng.choice(["Brest", "Lyon", "Paris", "Nice"], n),
        }
    )


def test_avatar_coding_is_famds():
    """Bulle's projection gives prince's FAMD row coordinates (each axis up to its sign), so the
    neighbours are those of FAMD and the back-projection inverts the coding FAMD used."""
    import prince

    frame = mixed()
    s = make("avatar", components=3).fit(frame, 0)
    assert s.projection == "famd"
    enc = s.codec.encode(frame)
    enc[s.num] = enc[s.num].astype(float)
    famd = prince.FAMD(n_components=3, n_iter=20, random_state=0, engine="sklearn")
    theirs = famd.fit(enc).row_coordinates(enc).to_numpy()
    signs = np.sign(np.sum(s.coords * theirs, axis=0))
    assert np.allclose(s.coords * signs, theirs, atol=1e-6)


@pytest.mark.parametrize(
    ("columns", "projection"), [(["sex", "town"], "mca"), (["age", "income"], "pca")]
)
def test_avatar_falls_back_on_one_kind_tables(columns, projection):
    frame = mixed()[columns]
    s = make("avatar").fit(frame, 0)
    assert s.projection == projection
    out = s.sample(100, 1)
    assert out.dtypes.equals(frame.dtypes)


def test_avatar_is_a_combination_of_neighbours():
    """Numbers stay within the span of the neighbours' values; categories are one of theirs."""
    frame = mixed()
    s = make("avatar", k=4).fit(frame, 0)
    out = s.sample(len(frame), 3)
    assert out["age"].between(frame["age"].min(), frame["age"].max()).all()
    assert set(out["town"]) <= set(frame["town"])
    # the relation age -> income survives the combination
    assert np.corrcoef(out["age"], out["income"])[0, 1] > 0.8
    cloak = s.info()["local_cloaking"]
    assert 0 <= cloak["share_zero"] <= 1 and cloak["median"] >= 0


def test_avatar_never_uses_a_record_as_its_own_neighbour():
    frame = mixed(100)
    s = make("avatar", k=5).fit(frame, 0)
    assert not (s.nbr == np.arange(len(frame))[:, None]).any()


def test_cart_draws_only_observed_values_and_keeps_the_relation():
    frame = mixed()
    out = make("cart").fit(frame, 0).sample(1000, 1)
    for c in frame.columns:
        assert set(out[c]) <= set(frame[c]), c
    assert np.corrcoef(out["age"], out["income"])[0, 1] > 0.8


def test_cart_min_leaf_bounds_the_pools():
    """With one leaf as large as the table, each column is drawn from its whole marginal: the
    age-income relation disappears."""
    frame = mixed()
    out = make("cart", min_leaf=len(frame)).fit(frame, 0).sample(2000, 1)
    assert abs(np.corrcoef(out["age"], out["income"])[0, 1]) < 0.15
