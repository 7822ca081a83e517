"""Named datasets: offline splits, TFDS through mock data, errors, and the epoch-keyed pipeline."""

import numpy as np
import pytest

from zoo.data import available, load_images, scale_images, training_batches
from zoo.errors import DataError, UnknownNameError


@pytest.mark.slow
def test_mnist5k_split_is_stratified_disjoint_and_fixed():
    train, test = load_images("mnist5k", "train"), load_images("mnist5k", "test")
    assert (len(train), len(test)) == (4000, 1000)
    assert train.image_shape == (28, 28, 1) and train.images.dtype == np.uint8
    assert np.bincount(test.labels).tolist() == [100] * 10
    every = load_images("mnist5k", "all")
    assert len(every) == 5000
    # disjoint: no test image equals a train image row-for-row (MNIST-5k has no exact duplicates)
    train_rows = {im.tobytes() for im in train.images}
    assert not any(im.tobytes() in train_rows for im in test.images)
    np.testing.assert_array_equal(load_images("mnist5k", "test").images, test.images)


def test_uci_digits_are_upscaled_to_28x28():
    digits = load_images("digits", "all")
    assert digits.images.shape == (1797, 28, 28, 1) and digits.images.max() > 200


def test_scaling_is_zero_to_one_for_numpy_and_tensors():
    import tensorflow as tf

    pixels = np.array([0, 51, 255], np.uint8)
    np.testing.assert_allclose(scale_images(pixels), [0.0, 0.2, 1.0])
    np.testing.assert_allclose(scale_images(tf.constant(pixels)).numpy(), [0.0, 0.2, 1.0])


def test_unknown_dataset_and_split():
    with pytest.raises(UnknownNameError, match="did you mean: mnist5k"):
        load_images("mnist5")
    with pytest.raises(UnknownNameError, match="split"):
        load_images("mnist5k", "valid")
    assert "mnist5k" in available()


def test_tfds_dataset_by_name_through_the_real_tfds_load():
    import tensorflow_datasets as tfds

    with tfds.testing.mock_data(num_examples=12, policy=tfds.testing.MockPolicy.USE_CODE):
        data = load_images("tfds:mnist", "train")
        assert data.images.shape == (12, 28, 28, 1) and data.images.dtype == np.uint8
    assert data.labels.shape == (12,) and data.recipe()["dataset"] == "tfds:mnist"


def test_tfds_failure_names_the_offline_alternative(monkeypatch):
    import tensorflow_datasets as tfds

    def offline(*args, **kwargs):
        raise ConnectionError("Failed to establish a new connection")

    monkeypatch.setattr(tfds, "builder", offline)
    with pytest.raises(DataError, match="offline, use --dataset mnist5k"):
        load_images("tfds:fashion_mnist")


def _epochs(pixels, start, stop):
    ds, steps = training_batches(pixels, 4, seed=7, initial_epoch=start, epochs=stop)
    batches = [b.numpy() for b in ds]
    return [batches[i * steps : (i + 1) * steps] for i in range(stop - start)], steps


def test_epoch_order_depends_only_on_seed_and_epoch():
    pixels = np.arange(10, dtype=np.uint8).reshape(10, 1, 1, 1)
    full, steps = _epochs(pixels, 0, 3)
    resumed, _ = _epochs(pixels, 2, 3)
    assert steps == 2  # 10 // 4, last partial batch dropped
    np.testing.assert_array_equal(np.concatenate(full[2]), np.concatenate(resumed[0]))
    assert not np.array_equal(np.concatenate(full[0]), np.concatenate(full[1]))  # reshuffled per epoch
    assert full[0][0].dtype == np.float32 and full[0][0].max() <= 9 / 255 + 1e-7


def test_batch_larger_than_dataset_is_an_error():
    with pytest.raises(DataError, match="larger than the dataset"):
        training_batches(np.zeros((3, 2, 2, 1), np.uint8), 4, 0, 0, 1)
