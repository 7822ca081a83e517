"""Adversarial losses chosen by name, the gradient penalty, and the one batch reduction.

Every loss works on discriminator *logits* (raw scores, no sigmoid) and returns one value per
example; `batch_mean` reduces it over the global batch, so a step under a `tf.distribute` strategy
(each replica holding part of the batch) equals the same step on one device.

| name            | discriminator minimises                  | generator minimises      |
|-----------------|------------------------------------------|--------------------------|
| minimax         | -log D(x) - log(1 - D(G(z)))             | log(1 - D(G(z)))         |
| non-saturating  | same                                     | -log D(G(z))             |
| wgan-gp         | C(G(z)) - C(x) + 10 (|grad C(x^)|-1)^2   | -C(G(z))                 |
| hinge           | relu(1 - C(x)) + relu(1 + C(G(z)))       | -C(G(z))                 |
| least-squares   | ((D(x) - 1)^2 + D(G(z))^2) / 2           | (D(G(z)) - 1)^2 / 2      |
with D = sigmoid(logit) for the first two, so -log D = softplus(-logit), -log(1-D) = softplus(logit).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import zoo._tensorflow  # noqa: F401  (TensorFlow, loaded quietly)

import tensorflow as tf

from zoo.errors import UnknownNameError, did_you_mean


def _flat(logits):
    return tf.reshape(logits, [-1])


@dataclass(frozen=True)
class AdversarialLoss:
    """Per-example losses of one adversarial objective, on logits of shape [B] or [B, 1]."""

    name: str
    discriminator: Callable  # (real_logits, fake_logits) -> [B]
    generator: Callable  # (fake_logits) -> [B]
    gradient_penalty_weight: float = 0.0  # λ of the WGAN-GP penalty; 0 = none
    decision_threshold: float = 0.0  # logit above which the discriminator calls an image real


ADVERSARIAL_LOSSES = {
    loss.name: loss
    for loss in [
        AdversarialLoss(
            "minimax",
            lambda r, f: tf.nn.softplus(-_flat(r)) + tf.nn.softplus(_flat(f)),
            lambda f: -tf.nn.softplus(_flat(f)),
        ),
        AdversarialLoss(
            "non-saturating",
            lambda r, f: tf.nn.softplus(-_flat(r)) + tf.nn.softplus(_flat(f)),
            lambda f: tf.nn.softplus(-_flat(f)),
        ),
        AdversarialLoss(
            "wgan-gp",
            lambda r, f: _flat(f) - _flat(r),
            lambda f: -_flat(f),
            gradient_penalty_weight=10.0,
        ),
        AdversarialLoss(
            "hinge",
            lambda r, f: tf.nn.relu(1.0 - _flat(r)) + tf.nn.relu(1.0 + _flat(f)),
            lambda f: -_flat(f),
        ),
        AdversarialLoss(
            "least-squares",
            lambda r, f: 0.5 * (tf.square(_flat(r) - 1.0) + tf.square(_flat(f))),
            lambda f: 0.5 * tf.square(_flat(f) - 1.0),
            decision_threshold=0.5,
        ),
    ]
}


def adversarial_loss(name) -> AdversarialLoss:
    """The adversarial loss called `name` (see ADVERSARIAL_LOSSES)."""
    if name not in ADVERSARIAL_LOSSES:
        raise UnknownNameError(
            f"unknown loss '{name}'{did_you_mean(name, ADVERSARIAL_LOSSES)}; "
            f"choose one of {', '.join(ADVERSARIAL_LOSSES)}"
        )
    return ADVERSARIAL_LOSSES[name]


def batch_mean(per_example):
    """Mean of per-example losses over the *global* batch (correct under tf.distribute)."""
    return tf.nn.compute_average_loss(per_example)


def gradient_penalty(critic, real, fake, alpha):
    """Per-example (|grad_x C(x^)|_2 - 1)^2 at x^ = real + alpha (fake - real) (Gulrajani et al. 2017).

    alpha: [B] drawn uniformly in [0, 1] per example by the caller (so tests can fix it).
    """
    alpha = tf.reshape(alpha, [-1] + [1] * (len(real.shape) - 1))
    interpolates = real + alpha * (fake - real)
    with tf.GradientTape() as tape:
        tape.watch(interpolates)
        scores = critic(interpolates, training=True)
    grads = tape.gradient(scores, interpolates)
    norms = tf.sqrt(tf.reduce_sum(tf.square(tf.reshape(grads, [tf.shape(grads)[0], -1])), axis=1) + 1e-12)
    return tf.square(norms - 1.0)
