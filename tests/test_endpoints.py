"""Endpoint input checks: one clear InputError for each kind of bad tensor."""

import numpy as np
import pytest
from conftest import tiny_dcgan

from zoo.errors import InputError


@pytest.fixture(scope="module")
def sample():
    return tiny_dcgan().endpoints()["sample"]


@pytest.mark.parametrize(
    "z, message",
    [
        (np.zeros((2, 9), np.float32), r"shape \[N, 8\], got \[2, 9\]"),
        (np.zeros((2, 8, 1), np.float32), r"shape \[N, 8\]"),
        (np.zeros((0, 8), np.float32), "empty batch"),
        (np.full((2, 8), np.nan, np.float32), "NaN or infinite"),
        (np.array([["a"] * 8]), "numeric"),
    ],
)
def test_bad_latents_are_rejected_clearly(sample, z, message):
    with pytest.raises(InputError, match=message):
        sample(z=z)


def test_missing_and_unknown_inputs(sample):
    with pytest.raises(InputError, match="takes inputs"):
        sample(x=np.zeros((1, 8), np.float32))


def test_float64_latents_are_accepted_and_cast(sample):
    out = sample(z=np.zeros((3, 8)))
    assert out["images"].shape == (3, 8, 8, 1) and out["images"].dtype == np.float32


def test_example_inputs_are_fixed_by_seed(sample):
    a, b = sample.example_inputs(batch=2, seed=5), sample.example_inputs(batch=2, seed=5)
    np.testing.assert_array_equal(a["z"], b["z"])
    assert a["z"].shape == (2, 8) and a["z"].dtype == np.float32
