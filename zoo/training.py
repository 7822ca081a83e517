"""What every single-optimizer zoo model shares for `model.fit` and full-state checkpoints."""
from __future__ import annotations

import keras


class OneOptimizer:
    """Mixin for a keras.Model with one optimizer and a `trackers` dict of keras.metrics.

    `compile(learning_rate=...)` builds the model's `default_optimizer` eagerly (so a checkpoint can
    restore its slots before the first step); `optimizers` names it for `zoo.checkpoint`.
    """

    def default_optimizer(self, learning_rate):
        return keras.optimizers.Adam(learning_rate)

    def compile(self, optimizer=None, learning_rate=1e-3, **kwargs):
        super().compile(optimizer=optimizer or self.default_optimizer(learning_rate), **kwargs)
        self.optimizer.build(self.trainable_variables)

    @property
    def optimizers(self):
        return {"optimizer": self.optimizer}

    @property
    def metrics(self):
        return list(self.trackers.values())


def apply_gradients(optimizer, grads, variables):
    """`optimizer.apply_gradients` that accepts an empty variable list (a part frozen by
    `--freeze` has none) instead of failing on it."""
    variables = list(variables)
    if variables:
        optimizer.apply_gradients(zip(grads, variables))


def replica_draw(draw, batch, *rest):
    """`draw((batch, *rest))` made replica-invariant: under a tf.distribute strategy each replica
    draws the noise of the *global* batch (every replica's generator state is the same) and keeps
    its own rows, so N replicas of B/N examples see the noise one device sees for B examples."""
    import tensorflow as tf

    context = tf.distribute.get_replica_context()
    replicas = context.num_replicas_in_sync if context is not None else 1
    if replicas == 1:
        return draw((batch, *rest))
    everything = draw((batch * replicas, *rest))
    start = tf.cast(context.replica_id_in_sync_group, tf.int32) * batch
    return everything[start: start + batch]
