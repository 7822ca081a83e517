"""What every single-optimizer zoo model shares for `model.fit` and full-state checkpoints."""

from __future__ import annotations

import zoo._tensorflow  # noqa: F401  (TensorFlow, loaded quietly)

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
    `--freeze` has none) instead of failing on it. (Every step computes its gradients of
    `optimizer.scale_loss(loss)`: the loss itself, unless the optimizer is a float16
    LossScaleOptimizer, which unscales them here; see `scaled_gradient`.)"""
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
    return everything[start : start + batch]


def float32_outputs(model):
    """Under a mixed precision policy, make every sub-network of `model` (generator, encoder,
    network...) hand back float32: layers inside compute in bfloat16/float16, while losses, noise,
    penalties and targets outside stay float32 (Keras' advice: keep the model's outputs float32)."""
    import keras
    import tensorflow as tf

    from zoo.transfer import parts

    def cast(value):
        return (
            tf.cast(value, tf.float32)
            if hasattr(value, "dtype") and value.dtype in (tf.bfloat16, tf.float16)
            else value
        )

    for part in parts(model).values():
        original = part.call

        def call(*args, _original=original, **kwargs):
            return keras.tree.map_structure(cast, _original(*args, **kwargs))

        object.__setattr__(part, "call", call)
    return model


def scaled_gradient(tape, optimizer, loss, variables):
    """Gradients of `loss` for `optimizer`'s step: of `optimizer.scale_loss(loss)`, recorded on the
    same tape (a float16 LossScaleOptimizer scales here and unscales in `apply_gradients`; any other
    optimizer returns the loss unchanged)."""
    with tape:  # resume recording: the scaling must be on the tape
        loss = optimizer.scale_loss(loss)
    return tape.gradient(loss, variables)


def scale_losses(model):
    """Wrap every optimizer of a compiled float16 model in a dynamic LossScaleOptimizer (the steps
    scale through `scaled_gradient`; `apply_gradients` unscales and skips non-finite steps)."""
    import keras

    for attribute, optimizer in model.optimizers.items():
        scaled = keras.optimizers.LossScaleOptimizer(optimizer)
        scaled.build(optimizer._trainable_variables)
        setattr(model, attribute, scaled)
    return model


def float32_twin(model):
    """A float32 copy of a model trained under a mixed policy (its variables are float32 already):
    what gets saved, measured and exported, so no 16-bit op reaches a deployed graph."""
    from zoo import registry

    twin = registry.build(model.architecture, model.get_config())
    twin.set_weights(model.get_weights())
    twin.card = model.card
    twin.attach_recipe(model.recipe)
    return twin


def minimize(tape, optimizer, loss, variables):
    """One optimizer step on `loss` recorded by `tape`: `scaled_gradient`, then `apply_gradients`."""
    variables = list(variables)
    apply_gradients(optimizer, scaled_gradient(tape, optimizer, loss, variables), variables)


def loss_scale(optimizer):
    """The factor `scaled_gradient`'s gradients carry: a LossScaleOptimizer's dynamic scale, else 1."""
    return optimizer.dynamic_scale if hasattr(optimizer, "dynamic_scale") else 1.0
