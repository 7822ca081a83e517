"""What the zoo's paired image-to-image GANs share (pix2pix, SRGAN): an image in, an image out.

  data        (input, target) pairs (zoo.data.pairing): the input made from the target by a pairing
              (edges, grey, downscale4, ...) or read from a folder of real pairs
  generator   input image -> output image (a subclass builds it: U-Net, residual + sub-pixel), with a
              linear last layer: the L1 loss acts on it unclipped (a sigmoid saturates on the
              mostly-black digits and stops learning), and every output used is clipped to [0, 1]
  critic      a PatchGAN: one real/fake logit per patch of what `critic_inputs` gives it (pix2pix:
              the (input, output) pair; SRGAN: the output alone)
  losses      G: λ_L1 |G(x) - y|_1 + λ_feat |φ(G(x)) - φ(y)|_1 + λ_adv adversarial(D(G(x)))
              D: adversarial(D(real), D(fake)), averaged over patches (any loss of zoo.losses but WGAN-GP)
              λ_adv = 0 trains the same generator with its content loss only (the non-adversarial
              twin every shipped entry is compared with); its step skips the critic entirely
  EMA         the GAN recipe's moving average of the generator's weights (`ema_decay`) is what
              the endpoint, the Python API, evaluation and export run
The step reads as pix2pix's: one generator update, then one discriminator update on the same batch.
"""

from __future__ import annotations

import zoo._tensorflow  # noqa: F401  (TensorFlow, loaded quietly)

import keras
import numpy as np
import tensorflow as tf

from zoo import checks
from zoo.contract import ZooModel
from zoo.errors import InputError
from zoo.evaluation.metrics import QUALITY_PROTOCOL, image_quality
from zoo.gan.base import AveragedGenerator, TwoPlayer
from zoo.gan.cyclegan import build_patch_discriminator, patch_mean
from zoo.images import to_uint8
from zoo.losses import adversarial_loss, batch_mean
from zoo.serving.endpoints import Endpoint, Input, unit_interval
from zoo.training import minimize


class _Untracked:
    """Holds a network the training loss uses but the model does not own (not saved with it)."""

    def __init__(self, network):
        self.network = network


class ImageToImageGAN(AveragedGenerator, TwoPlayer, ZooModel, keras.Model):
    data_kind = "paired"  # the harness feeds (inputs, targets) batches of a zoo.data.pairing.Paired split
    evaluation = ("held_out",)
    vis_kinds = ("pairs", "curves")
    part_names = ("generator", "discriminator")
    endpoint_name = "translate"  # a subclass names its endpoint (and the Python method of the same name)
    output_name = "translated"  # the endpoint's float output (and `<name>_uint8`)
    endpoint_doc = "images in [0, 1] -> translated images"
    litert_variants_note = ""

    def __init__(
        self,
        input_shape=(28, 28, 1),
        output_shape=(28, 28, 1),
        width=32,
        d_width=32,
        l1_weight=100.0,
        adversarial_weight=1.0,
        feature_weight=0.0,
        loss="non-saturating",
        ema_decay=0.0,
        seed=0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.input_image_shape = tuple(int(d) for d in input_shape)
        self.image_shape = tuple(int(d) for d in output_shape)
        self.width, self.d_width = int(width), int(d_width)
        self.l1_weight = checks.number(l1_weight, "l1_weight", 0.0)
        self.adversarial_weight = checks.number(adversarial_weight, "adversarial_weight", 0.0)
        self.feature_weight = checks.number(feature_weight, "feature_weight", 0.0)
        self.loss_name, self.seed = loss, int(seed)
        self.adversarial = adversarial_loss(loss)
        if self.adversarial.gradient_penalty_weight:
            raise InputError(f"loss '{loss}' needs a gradient penalty, which image-to-image models do not compute")
        self.ema_decay = checks.number(ema_decay, "ema_decay", 0.0, 0.99999)
        self.check_shapes()
        self.generator = self.build_generator()
        self.discriminator = build_patch_discriminator(self.critic_shape(), self.d_width, "critic")
        self.track_averages()
        self._feature_network = _Untracked(None)
        names = ("g_loss", "l1_loss", *(("feature_loss",) if self.feature_weight else ()))
        if self.adversarial_weight:
            names += ("adversarial_loss", "d_loss", "d_accuracy")
        self.trackers = {n: keras.metrics.Mean(name=n) for n in names}
        self.built = True

    # --- what a subclass says -----------------------------------------------------------------------
    def check_shapes(self):
        """Refuse input/output shapes the architecture cannot map (InputError, one line)."""

    def build_generator(self):
        raise NotImplementedError

    def critic_shape(self):
        """Shape of what the PatchGAN sees (see `critic_inputs`)."""
        return self.image_shape

    def critic_inputs(self, inputs, outputs):
        """What the PatchGAN judges for one (input, output or target) pair."""
        return outputs

    def classical_baselines(self, inputs):
        """[(name, outputs)] of the strongest simple methods for the same job, the first the main one;
        [] where there is none (say so in the model's docs)."""
        return []

    def get_config(self):
        return {
            "input_shape": list(self.input_image_shape),
            "output_shape": list(self.image_shape),
            "width": self.width,
            "d_width": self.d_width,
            "l1_weight": self.l1_weight,
            "adversarial_weight": self.adversarial_weight,
            "feature_weight": self.feature_weight,
            "loss": self.loss_name,
            "ema_decay": self.ema_decay,
            "seed": self.seed,
            "name": self.name,
        }

    # --- training ----------------------------------------------------------------------------------
    def use_feature_network(self, network):
        """The network φ of the feature loss (images in [0, 1] -> features); needed when
        `feature_weight` > 0. It is not part of this model's weights."""
        self._feature_network = _Untracked(network)

    def compile(self, learning_rate=2e-4, **kwargs):
        """Adam(lr, β1 = 0.5) for both networks, as pix2pix trains."""
        super().compile(**kwargs)
        if self.feature_weight and self._feature_network.network is None:
            raise InputError("feature_weight > 0 needs a feature network (use_feature_network) before training")
        self.g_optimizer = keras.optimizers.Adam(learning_rate, beta_1=0.5)
        self.d_optimizer = keras.optimizers.Adam(learning_rate, beta_1=0.5)
        self.g_optimizer.build(self.generator.trainable_variables)
        self.d_optimizer.build(self.discriminator.trainable_variables)

    def patch_logits(self, inputs, outputs):
        return tf.cast(self.discriminator(self.critic_inputs(inputs, outputs), training=True), tf.float32)

    def train_step(self, data):
        inputs, targets = data
        # 1. Generator: be close to the target (content), and fool the critic (adversarial).
        with tf.GradientTape() as tape:
            raw = tf.cast(self.generator(inputs, training=True), tf.float32)  # float32 losses under mixed precision
            outputs = tf.clip_by_value(raw, 0.0, 1.0)
            l1 = batch_mean(tf.reduce_mean(tf.abs(raw - targets), axis=[1, 2, 3]))
            g_loss = self.l1_weight * l1
            logs = {"l1_loss": l1}
            if self.feature_weight:
                features = self._feature_network.network
                feature = batch_mean(tf.reduce_mean(tf.abs(features(outputs) - features(targets)), axis=-1))
                g_loss += self.feature_weight * feature
                logs["feature_loss"] = feature
            if self.adversarial_weight:
                fooled = patch_mean(self.adversarial.generator(self.patch_logits(inputs, outputs)), outputs)
                adversarial = batch_mean(fooled)
                g_loss += self.adversarial_weight * adversarial
                logs["adversarial_loss"] = adversarial
        minimize(tape, self.g_optimizer, g_loss, self.generator.trainable_variables)
        self.update_generator_average()
        logs["g_loss"] = g_loss
        # 2. Critic: real pairs against generated pairs (skipped by the content-only twin).
        if self.adversarial_weight:
            logs.update(self.critic_step(inputs, targets, tf.stop_gradient(outputs)))
        return self.record(logs)

    def critic_step(self, inputs, targets, outputs):
        with tf.GradientTape() as tape:
            real_logits = self.patch_logits(inputs, targets)
            fake_logits = self.patch_logits(inputs, outputs)
            d_loss = batch_mean(patch_mean(self.adversarial.discriminator(real_logits, fake_logits), targets))
        minimize(tape, self.d_optimizer, d_loss, self.discriminator.trainable_variables)
        threshold = self.adversarial.decision_threshold
        correct = tf.concat([tf.reshape(real_logits, [-1]) > threshold, tf.reshape(fake_logits, [-1]) <= threshold], 0)
        return {"d_loss": d_loss, "d_accuracy": tf.reduce_mean(tf.cast(correct, tf.float32))}

    # --- use -----------------------------------------------------------------------------------------
    def call(self, images, training=False):
        return tf.clip_by_value(self.sampler(images, training=training), 0.0, 1.0)

    def apply(self, images, tile=False):
        """Outputs `[N, H', W', C']` of float [0, 1] input images `[N, h, w, c]`. Inputs of the training
        size go through the endpoint as they are; larger ones need `tile=True`: they are cut into
        overlapping tiles of the training size, run tile by tile and stitched (each output pixel
        taken from the tile where it lies furthest from an edge)."""
        if not isinstance(tile, (bool, np.bool_)):
            raise InputError(f"tile must be True or False, got {tile!r}")
        images = checks.array(images, "images")
        h, w, c = self.input_image_shape
        if images.ndim != 4 or images.shape[-1] != c:
            raise InputError(f"images must have shape [N, H, W, {c}], got {list(images.shape)}")
        endpoint = self.endpoint(self.endpoint_name)
        if images.shape[1:3] == (h, w):
            return endpoint.batched(images=images)[self.output_name]
        if images.shape[1] < h or images.shape[2] < w:
            raise InputError(
                f"images of {images.shape[1]}x{images.shape[2]} are smaller than the model's {h}x{w}: resize or "
                f"pad them to at least {h}x{w} (tile=True runs only larger images, tile by tile)"
            )
        if not tile:
            raise InputError(
                f"images of {images.shape[1]}x{images.shape[2]} are not the model's {h}x{w}: pass tile=True to "
                f"run larger images tile by tile"
            )
        return self._tiled(endpoint, images)

    def _tiled(self, endpoint, images):
        h, w, _ = self.input_image_shape
        big_h, big_w = images.shape[1:3]
        if big_h < h or big_w < w:
            raise InputError(f"images of {big_h}x{big_w} are smaller than the model's {h}x{w} tiles")
        endpoint.validate({"images": images[:, :h, :w]})  # dtype and range, one message
        sy, sx = self.image_shape[0] // h, self.image_shape[1] // w  # output pixels per input pixel

        def starts(size, tile):
            step = max(tile // 2, 1)
            points = list(range(0, size - tile + 1, step))
            return points if points[-1] == size - tile else points + [size - tile]

        ys, xs = starts(big_h, h), starts(big_w, w)
        tiles = np.stack([images[:, y : y + h, x : x + w] for y in ys for x in xs], axis=1)
        flat = tiles.reshape(-1, h, w, images.shape[-1])
        out = endpoint.batched(images=flat)[self.output_name].reshape(
            len(images), len(ys) * len(xs), h * sy, w * sx, -1
        )
        result = np.zeros((len(images), big_h * sy, big_w * sx, out.shape[-1]), np.float32)
        best = np.full((big_h * sy, big_w * sx), -1.0)
        yy, xx = np.mgrid[0 : h * sy, 0 : w * sx]
        margin = np.minimum(np.minimum(yy, h * sy - 1 - yy), np.minimum(xx, w * sx - 1 - xx)).astype(float)
        for k, (y, x) in enumerate((y, x) for y in ys for x in xs):
            region = (slice(y * sy, (y + h) * sy), slice(x * sx, (x + w) * sx))
            better = margin > best[region]
            result[:, region[0], region[1]][:, better] = out[:, k][:, better]
            best[region] = np.where(better, margin, best[region])
        return result

    def held_out_examples(self, n=8):
        """(inputs, targets) of `n` held-out pairs spread evenly over the test split (a photograph's
        patches in reading order: the first ones are all one corner)."""
        inputs, targets = self.data("test").arrays()
        keep = np.linspace(0, len(targets) - 1, min(n, len(targets))).round().astype(int)
        return inputs[keep], targets[keep]

    def preview(self):
        """Rows of eight: held-out inputs (shown at the output size), outputs, ground truth."""
        if self._preview is None:
            self._preview = self.held_out_examples(8)
        inputs, targets = self._preview
        return np.concatenate([self.shown(inputs), self.apply(inputs), targets])

    _preview = None

    def shown(self, inputs):
        """Inputs as images of the output's size and channels (for grids and figures)."""
        x = tf.image.resize(inputs, self.image_shape[:2], method="nearest").numpy()
        return np.repeat(x, self.image_shape[-1], axis=-1) if x.shape[-1] != self.image_shape[-1] else x

    def endpoints(self):
        def run(images):
            out = tf.clip_by_value(self.sampler(images, training=False), 0.0, 1.0)
            return {self.output_name: out, f"{self.output_name}_uint8": to_uint8(out)}

        spec = {"images": Input((None, *self.input_image_shape), "float32", example=unit_interval, low=0.0, high=1.0)}
        return {
            self.endpoint_name: Endpoint(
                self.endpoint_name,
                run,
                spec,
                doc=self.endpoint_doc,
                outputs=(self.output_name, f"{self.output_name}_uint8"),
            )
        }

    def calibration_inputs(self, n=64):
        if not self.recipe:  # a model built in code: the exporter falls back to the declared input range
            return {}
        return {self.endpoint_name: {"images": self.data("train").arrays(n)[0]}}

    # --- held-out figures ------------------------------------------------------------------------------
    def _fid_floor(self, judge, real_features):
        """FID of the train split's first N real targets against the held-out ones, or None where the
        train split cannot be read (a recipe without one)."""
        from zoo.data import scale_images
        from zoo.errors import DataError
        from zoo.evaluation import metrics

        try:
            train = self.data("train")
        except (DataError, KeyError, OSError):
            return None
        return metrics.frechet_distance(
            real_features, judge.features(scale_images(train.targets.first(len(real_features))))
        )

    def held_out_metrics(self, test_set):
        """L1, PSNR and SSIM against the ground truth of every held-out pair, next to the classical
        baseline; FID (and, for digits, how often classifier-mnist reads the true label) where a
        feature network fits the data."""
        from zoo.errors import DataError
        from zoo.evaluation import features

        inputs, targets = test_set.arrays()
        outputs = self.apply(inputs)
        result = {
            "protocol": {
                **QUALITY_PROTOCOL,
                "data": f"every pair of the {test_set.name} '{test_set.split}' split ({len(targets):,}); "
                f"{(self.recipe or {}).get('pairing_rule', '')}",
            },
            **image_quality(outputs, targets),
        }
        compared = {"model": outputs}
        baselines = self.classical_baselines(inputs)
        for i, (name, baseline_outputs) in enumerate(baselines):
            figures = {"method": name, **image_quality(baseline_outputs, targets)}
            if i == 0:
                result["baseline"] = figures
            else:
                result.setdefault("more_baselines", []).append(figures)
            compared[i] = baseline_outputs
        try:
            judge = features.choose((self.recipe or {}).get("targets") or {"image_shape": self.image_shape})
        except (DataError, KeyError) as exc:
            result["protocol"]["fid"] = f"not measured: {exc}"
            return result
        from zoo.evaluation import metrics

        real = judge.features(targets)
        result["protocol"]["fid"] = f"{judge.protocol()}; outputs vs the held-out ground-truth images"
        rows = [result.get("baseline")] + result.get("more_baselines", [])
        figures_of = lambda key: result if key == "model" else rows[key]  # noqa: E731
        for key, images in compared.items():
            figures_of(key)["fid"] = metrics.frechet_distance(real, judge.features(images))
        floor = self._fid_floor(judge, real)
        if floor is not None:
            result["fid_floor"] = floor
            result["protocol"]["fid_floor"] = (
                "for scale, real against real: the train split's first N targets against the held-out ones "
                f"(N = {len(targets):,}); outputs matching their own ground truth can read below it (0 when identical)"
            )
        if judge.judges_classes_of(test_set.class_names):
            labels = np.asarray(test_set.labels)[: len(targets)]
            result["protocol"]["label_accuracy"] = f"share of outputs that {judge.name} reads as the true label"
            for key, images in compared.items():
                figures_of(key)["label_accuracy"] = float(np.mean(judge.probabilities(images).argmax(1) == labels))
            result["label_accuracy_ground_truth"] = float(np.mean(judge.probabilities(targets).argmax(1) == labels))
        return result
