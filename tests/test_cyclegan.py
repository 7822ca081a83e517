"""CycleGAN on tiny configs: losses, the history pool, the schedule, endpoints, bad input."""

import numpy as np
import pytest
import tensorflow as tf
from conftest import assert_hand_computed_average

import zoo
from zoo.data import ImageSet, Unpaired, load_unpaired, training_batches
from zoo.errors import DataError, InputError
from zoo.gan.cyclegan import per_pixel

A = np.random.default_rng(0).random((8, 8, 8, 1), dtype=np.float32)
B = np.random.default_rng(1).random((8, 8, 8, 1), dtype=np.float32)


def tiny(**kw):
    return zoo.CycleGAN(image_shape=(8, 8, 1), width=2, blocks=1, d_width=2, pool_size=4, **kw)


def test_cycle_and_identity_losses_are_zero_for_identity_generators():
    model = tiny()
    model.g_ab = model.g_ba = lambda x, training=False: x  # identity generators
    _, _, parts = model.generator_losses(tf.constant(A), tf.constant(B))
    assert float(parts["cycle"]) == 0.0 and float(parts["identity"]) == 0.0
    model.g_ab = lambda x, training=False: x + 0.25  # a generator that brightens by 0.25 ...
    _, _, parts = model.generator_losses(tf.constant(A), tf.constant(B))
    # F(G(a)) = a + 0.25 and G(F(b)) = b + 0.25: cycle 0.25 + 0.25; identity |G(b) - b| + |F(a) - a| = 0.25
    assert float(parts["cycle"]) == pytest.approx(0.5) and float(parts["identity"]) == pytest.approx(0.25)
    assert float(tf.reduce_mean(per_pixel(A + 0.25, A))) == pytest.approx(0.25)


def test_one_step_updates_all_four_networks():
    model = tiny()
    model.compile(learning_rate=1e-2)
    nets = [model.g_ab, model.g_ba, model.d_a, model.d_b]
    before = [[np.array(v) for v in n.trainable_variables] for n in nets]
    logs = model.train_step((tf.constant(A[:4]), tf.constant(B[:4])))
    assert {"g_loss", "d_loss", "cycle_loss", "identity_loss", "adversarial_loss"} <= set(logs)
    for net, old in zip(nets, before):
        changed = [not np.allclose(o, np.array(v)) for o, v in zip(old, net.trainable_variables)]
        assert sum(changed) >= len(changed) - 2, net.name  # norm scales next to a zero-mean input may sit still


@pytest.mark.slow
def test_ema_averages_both_generators_and_translations_come_from_it():
    model = tiny(ema_decay=0.9)
    model.compile(learning_rate=1e-2)
    assert [n for n, _ in model.averaged_networks()] == [model.g_ab, model.g_ba]
    assert_hand_computed_average(model, 0.9, 3, lambda: model.train_step((tf.constant(A[:4]), tf.constant(B[:4]))))
    np.testing.assert_array_equal(model.translate(A, "a_to_b"), model.g_ab_ema(A).numpy())
    np.testing.assert_array_equal(model.translate(B, "b_to_a"), model.g_ba_ema(B).numpy())
    assert not np.allclose(model.translate(A, "a_to_b"), model.g_ab(A).numpy())  # the trained one stays apart
    model.use_average = False  # python -m zoo.evaluate --raw-generator
    np.testing.assert_array_equal(model.translate(A, "a_to_b"), model.g_ab(A).numpy())


def test_history_pool_passes_fakes_through_while_filling():
    model = tiny(seed=3)
    served = model.pooled(0, tf.constant(A[:3]))
    np.testing.assert_array_equal(served.numpy(), A[:3])
    np.testing.assert_array_equal(model.pool_a.numpy()[:3], A[:3])
    assert model.pool_filled.numpy().tolist() == [3, 0]
    model.pooled(0, tf.constant(A[3:6]))
    assert model.pool_filled.numpy().tolist() == [4, 0]  # capped at the pool size


def test_full_pool_serves_an_older_image_half_the_time():
    model = tiny(seed=5)
    model.pooled(0, tf.zeros((4, 8, 8, 1)))  # fill
    older = 0
    for k in range(1, 51):  # query k holds images of value k: a served value < k is an older image
        served = model.pooled(0, tf.fill((4, 8, 8, 1), float(k))).numpy()
        older += int(np.sum(served.reshape(4, -1)[:, 0] < k))
    assert 70 <= older <= 130  # 200 draws of a fair coin


def test_linear_decay_schedule():
    model = tiny()
    model.compile(learning_rate=0.1)
    rates = [model.learning_rate_at(e, 10) for e in range(10)]
    assert rates[:5] == [0.1] * 5 and rates[5] == pytest.approx(0.1) and rates[9] == pytest.approx(0.02)
    assert all(a >= b for a, b in zip(rates, rates[1:]))


def test_endpoints_translate_both_ways_and_reject_wrong_shapes():
    model = tiny()
    endpoints = model.endpoints()
    assert set(endpoints) == {"a_to_b", "b_to_a"}
    out = endpoints["a_to_b"](images=A[:3])
    assert out["translated"].shape == (3, 8, 8, 1) and out["translated_uint8"].dtype == np.uint8
    with pytest.raises(InputError, match=r"shape \[N, 8, 8, 1\]"):
        endpoints["b_to_a"](images=np.zeros((2, 28, 28, 1), np.float32))
    with pytest.raises(InputError, match=r"must lie in \[0.0, 1.0\]"):
        endpoints["b_to_a"](images=np.full((1, 8, 8, 1), 3.0, np.float32))


@pytest.mark.slow
def test_unpaired_data_cycles_the_smaller_domain():
    data = load_unpaired("mnist5k", "digits", "train")
    assert data.image_shape == (28, 28, 1) and len(data) == 4000
    a = np.arange(10, dtype=np.uint8).reshape(10, 1, 1, 1)
    b = np.arange(100, 104, dtype=np.uint8).reshape(4, 1, 1, 1)
    ds, steps = training_batches(
        Unpaired(ImageSet("a", "train", a, np.zeros(10, np.int32)), ImageSet("b", "train", b, np.zeros(4, np.int32))),
        5,
        0,
        0,
        1,
    )
    batches = list(ds)
    assert steps == 2 and len(batches) == 2
    seen_b = np.concatenate([bb.numpy().ravel() for _, bb in batches]) * 255
    assert set(np.rint(seen_b).astype(int)) == {100, 101, 102, 103}


@pytest.mark.slow
def test_domains_of_different_shapes_are_refused(monkeypatch):
    from zoo.data import sources

    real = sources.load_images

    def fake(name, split="train"):
        if name == "colour":
            return ImageSet("colour", split, np.zeros((4, 32, 32, 3), np.uint8), np.zeros(4, np.int32))
        return real(name, split)

    monkeypatch.setattr(sources, "load_images", fake)
    with pytest.raises(DataError, match="domains differ in image shape"):
        load_unpaired("mnist5k", "colour")
