"""Each adversarial loss against values worked out by hand, and the gradient penalty on toy critics."""

import math

import numpy as np
import pytest
import tensorflow as tf

from zoo.errors import UnknownNameError
from zoo.losses import ADVERSARIAL_LOSSES, adversarial_loss, gradient_penalty

REAL = np.array([2.0, -1.0], np.float32)  # discriminator logits on two real images
FAKE = np.array([0.5, -3.0], np.float32)  # ... and on two fakes


def sp(x):  # softplus(x) = log(1 + e^x)
    return math.log1p(math.exp(x))


EXPECTED = {
    # name: (discriminator per-example, generator per-example)
    "minimax": ([sp(-2.0) + sp(0.5), sp(1.0) + sp(-3.0)], [-sp(0.5), -sp(-3.0)]),
    "non-saturating": ([sp(-2.0) + sp(0.5), sp(1.0) + sp(-3.0)], [sp(-0.5), sp(3.0)]),
    "wgan-gp": ([0.5 - 2.0, -3.0 + 1.0], [-0.5, 3.0]),
    "hinge": ([max(0, 1 - 2.0) + max(0, 1 + 0.5), max(0, 1 + 1.0) + max(0, 1 - 3.0)], [-0.5, 3.0]),
    "least-squares": ([0.5 * ((2 - 1) ** 2 + 0.5**2), 0.5 * ((-1 - 1) ** 2 + 9.0)], [0.5 * (0.5 - 1) ** 2, 0.5 * 16.0]),
}


@pytest.mark.parametrize("name", list(ADVERSARIAL_LOSSES))
def test_loss_matches_hand_computation(name):
    loss = adversarial_loss(name)
    d_expected, g_expected = EXPECTED[name]
    np.testing.assert_allclose(loss.discriminator(REAL[:, None], FAKE[:, None]).numpy(), d_expected, rtol=1e-6)
    np.testing.assert_allclose(loss.generator(FAKE).numpy(), g_expected, rtol=1e-6)


def test_minimax_generator_loss_is_log_one_minus_d():
    d = 1 / (1 + math.exp(-0.5))
    assert adversarial_loss("minimax").generator(np.array([0.5], np.float32)).numpy()[0] == pytest.approx(
        math.log(1 - d), rel=1e-6
    )


def test_only_wgan_gp_carries_a_penalty_of_ten():
    assert {
        n: loss.gradient_penalty_weight for n, loss in ADVERSARIAL_LOSSES.items() if loss.gradient_penalty_weight
    } == {"wgan-gp": 10.0}


def test_unknown_loss_suggests_close_names():
    with pytest.raises(UnknownNameError, match="did you mean: hinge"):
        adversarial_loss("hinje")


def test_gradient_penalty_of_linear_critic_is_norm_of_weights():
    # C(x) = <w, x>: the gradient is w everywhere, so the penalty is (|w| - 1)^2 for any alpha.
    w = tf.constant([[3.0], [4.0], [0.0], [0.0]])
    critic = lambda x, training=False: tf.reshape(x, [-1, 4]) @ w  # noqa: E731
    real = tf.zeros((3, 2, 2, 1))
    fake = tf.ones((3, 2, 2, 1))
    penalty = gradient_penalty(critic, real, fake, tf.constant([0.0, 0.3, 1.0]))
    np.testing.assert_allclose(penalty.numpy(), [(5.0 - 1.0) ** 2] * 3, rtol=1e-6)


def test_gradient_penalty_uses_the_interpolate():
    # C(x) = sum(x^2)/2: gradient x^, so the penalty is (|x^| - 1)^2 with x^ = real + a (fake - real).
    critic = lambda x, training=False: 0.5 * tf.reduce_sum(tf.square(x), axis=[1, 2, 3])  # noqa: E731
    real = tf.zeros((2, 1, 2, 1))
    fake = tf.fill((2, 1, 2, 1), 2.0)
    alpha = tf.constant([0.25, 1.0])
    # x^ = (0.5, 0.5) -> norm sqrt(0.5); x^ = (2, 2) -> norm sqrt(8)
    expected = [(math.sqrt(0.5) - 1) ** 2, (math.sqrt(8.0) - 1) ** 2]
    np.testing.assert_allclose(gradient_penalty(critic, real, fake, alpha).numpy(), expected, rtol=1e-5)
