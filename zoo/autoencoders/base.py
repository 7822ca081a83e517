"""What every autoencoder shares: the encode -> decode loop, its train_step, the endpoints, the
anomaly threshold and the held-out report. A type differs only in its networks, its corruption
of the input (training only) and its regulariser, so a subclass overrides only those:

    x_in   = corrupt(x)                       identity, except the denoising AE
    code   = encoder(x_in)
    x_hat  = decoder(code)                    logits; images are sigmoid(x_hat) (identity: linear AE)
    loss   = mean_batch( reconstruction(x, x_hat) ) + sum( penalty(x_in, code) )

Reconstruction is summed over pixels (binary cross-entropy for [0, 1] pixels, or squared error),
as in the papers the regularisers' weights come from; held-out figures are per-pixel MSE.
"""

from __future__ import annotations

import zoo._tensorflow  # noqa: F401  (TensorFlow, loaded quietly)

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from zoo import checks
from zoo.contract import ZooModel
from zoo.errors import InputError
from zoo.images import to_uint8
from zoo.losses import batch_mean
from zoo.serving.endpoints import Endpoint, Input, unit_interval
from zoo.training import OneOptimizer, minimize

RECONSTRUCTIONS = ("bce", "mse")


def dense_stack(name, input_dim, units, activation, out_units, out_activation=None, dropout=0.0):
    """Flat Dense layers: `units` hidden layers, then `out_units`; optional dropout before each Dense."""
    stack = [keras.Input((input_dim,))]
    for width, act in [*((w, activation) for w in units), (out_units, out_activation)]:
        if dropout:
            stack.append(layers.Dropout(dropout))
        stack.append(layers.Dense(width, activation=act))
    return keras.Sequential(stack, name=name)


class Autoencoder(OneOptimizer, ZooModel, keras.Model):
    """Base of the nine: dense encoder -> code -> mirrored dense decoder on flattened images.

    images: float32 `[N, H, W, C]` in [0, 1]. `code`: `[N, latent_dim]`.
    """

    vis_kinds = ("latent", "curves")
    part_names = ("encoder", "decoder")
    api = ("encode", "decode", "reconstruct", "anomaly_score", "calibrate")
    penalty_names = ()  # names of the loss terms `penalty` returns (logged next to the loss)
    diagnostic_names = ()  # names of the values `diagnostics` returns (logged, not optimised)

    def __init__(
        self,
        image_shape=(28, 28, 1),
        hidden=(256,),
        latent_dim=32,
        activation="relu",
        code_activation=None,
        reconstruction="bce",
        dropout=0.0,
        weight_decay=0.0,
        threshold_percentile=99.0,
        seed=0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if reconstruction not in RECONSTRUCTIONS:
            raise InputError(f"reconstruction must be one of {', '.join(RECONSTRUCTIONS)}, got '{reconstruction}'")
        if not 0 < float(threshold_percentile) < 100:
            raise InputError(f"threshold percentile must lie in (0, 100), got {threshold_percentile}")
        if not 0 <= float(dropout) < 1:
            raise InputError(f"dropout must lie in [0, 1), got {dropout}")
        self.image_shape = tuple(int(d) for d in image_shape)
        self.hidden, self.latent_dim, self.activation = tuple(int(h) for h in hidden), int(latent_dim), activation
        self.code_activation = code_activation
        self.reconstruction, self.dropout, self.weight_decay = reconstruction, float(dropout), float(weight_decay)
        self.threshold_percentile = float(threshold_percentile)
        self.seed = int(seed)
        self.pixels = int(np.prod(self.image_shape))
        self.noise = keras.random.SeedGenerator(self.seed)  # training-time randomness (corruption, VAE ε)
        self.encoder, self.decoder = self.build_encoder(), self.build_decoder()
        # Per-example reconstruction MSE above which `anomaly_score` flags an input; set by
        # `calibrate` (1.0, the largest possible MSE of [0, 1] images, means "never").
        self.anomaly_threshold = self.add_weight(
            shape=(), initializer=keras.initializers.Constant(1.0), trainable=False, name="anomaly_threshold"
        )
        names = ("loss", "reconstruction", *self.penalty_names, *self.diagnostic_names)
        self.trackers = {name: keras.metrics.Mean(name=name) for name in names}
        self.built = True

    # --- networks: the dense default (subclasses with other shapes override both) ----------------
    def build_encoder(self):
        return keras.Sequential(
            [
                keras.Input(self.image_shape),
                layers.Flatten(),
                dense_stack(
                    "mlp",
                    self.pixels,
                    self.hidden,
                    self.activation,
                    self.latent_dim,
                    self.code_activation,
                    self.dropout,
                ),
            ],
            name="encoder",
        )

    def build_decoder(self):
        return keras.Sequential(
            [
                keras.Input((self.latent_dim,)),
                dense_stack("mlp", self.latent_dim, self.hidden[::-1], self.activation, self.pixels),
                layers.Reshape(self.image_shape),
            ],
            name="decoder",
        )

    def get_config(self):
        return {
            "image_shape": list(self.image_shape),
            "hidden": list(self.hidden),
            "latent_dim": self.latent_dim,
            "activation": self.activation,
            "code_activation": self.code_activation,
            "reconstruction": self.reconstruction,
            "dropout": self.dropout,
            "weight_decay": self.weight_decay,
            "threshold_percentile": self.threshold_percentile,
            "seed": self.seed,
            "name": self.name,
        }

    @property
    def held_out_class(self):
        """The label left out of training (the anomaly experiment), from the run's recipe."""
        value = (self.recipe or {}).get("held_out_class")
        return None if value is None else int(value)

    def default_optimizer(self, learning_rate):
        if self.weight_decay:
            return keras.optimizers.AdamW(learning_rate, weight_decay=self.weight_decay)
        return keras.optimizers.Adam(learning_rate)

    # --- what a type changes ----------------------------------------------------------------------
    def corrupt(self, images):
        """The input the encoder sees during training (the clean images, except for the denoising AE)."""
        return images

    def penalty(self, inputs, code):
        """{name: scalar loss term} added to the reconstruction loss (already weighted)."""
        return {}

    def diagnostics(self, inputs, code):
        """{name: scalar} logged each step (not optimised)."""
        return {}

    # --- the algorithm ----------------------------------------------------------------------------
    def output_images(self, logits):
        return tf.sigmoid(logits) if self.reconstruction == "bce" else logits

    def reconstruction_error(self, images, logits):
        """Per-example reconstruction loss, summed over pixels: `[B]`."""
        flat_x = tf.reshape(images, [-1, self.pixels])
        flat_logits = tf.reshape(logits, [-1, self.pixels])
        if self.reconstruction == "bce":
            per_pixel = tf.nn.sigmoid_cross_entropy_with_logits(labels=flat_x, logits=flat_logits)
        else:
            per_pixel = tf.square(flat_x - flat_logits)
        return tf.reduce_sum(per_pixel, axis=1)

    def loss_terms(self, images):
        """{term: scalar} for one batch of clean images; the loss is their sum. Returns (terms, logs)."""
        inputs = self.corrupt(images)
        code = self.encoder(inputs, training=True)
        logits = self.decoder(code, training=True)
        terms = {"reconstruction": batch_mean(self.reconstruction_error(images, logits)), **self.penalty(inputs, code)}
        return terms, self.diagnostics(inputs, code)

    def train_step(self, data):
        images, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        with tf.GradientTape() as tape:
            terms, logs = self.loss_terms(images)
            loss = tf.add_n(list(terms.values()))
        minimize(tape, self.optimizer, loss, self.trainable_variables)
        for name, value in {"loss": loss, **terms, **logs}.items():
            self.trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    # --- inference (graph functions; the endpoints below wrap them) --------------------------------
    def call(self, images, training=False):
        return self.output_images(self.decoder(self.encode_tensor(images, training), training=training))

    def encode_tensor(self, images, training=False):
        """The code the decoder reconstructs from (the VAE's posterior mean)."""
        return self.encoder(images, training=training)

    def anomaly_tensor(self, images):
        """Per-example reconstruction MSE (per pixel): `[N]`."""
        error = tf.square(tf.reshape(images - self(images), [-1, self.pixels]))
        return tf.reduce_mean(error, axis=1)

    def endpoints(self):
        images = Input((None, *self.image_shape), "float32", example=unit_interval, low=0.0, high=1.0)
        code = Input((None, self.latent_dim), "float32")

        def encode(images):
            return {"code": self.encode_tensor(images)}

        def decode(code):
            decoded = self.output_images(self.decoder(code, training=False))
            return {"images": decoded, "images_uint8": to_uint8(decoded)}

        def reconstruct(images):
            return {"reconstruction": self(images)}

        def anomaly_score(images):
            score = self.anomaly_tensor(images)
            return {"score": score, "is_anomaly": tf.cast(score > self.anomaly_threshold, tf.int32)}

        return {
            "encode": Endpoint(
                "encode", encode, {"images": images}, "images in [0, 1] -> code [N, latent_dim]", ("code",)
            ),
            "decode": Endpoint(
                "decode",
                decode,
                {"code": code},
                "code -> images in [0, 1] (float32) and [0, 255] (uint8)",
                ("images", "images_uint8"),
            ),
            "reconstruct": Endpoint(
                "reconstruct", reconstruct, {"images": images}, "images -> their reconstruction", ("reconstruction",)
            ),
            "anomaly_score": Endpoint(
                "anomaly_score",
                anomaly_score,
                {"images": images},
                "images -> per-example reconstruction MSE, and 1 where it exceeds the calibrated threshold",
                ("score", "is_anomaly"),
            ),
        }

    # --- NumPy API: validated through the endpoints, batched ---------------------------------------
    def _run(self, endpoint, output, **inputs):
        return self.endpoint(endpoint).batched(**inputs)[output]

    def encode(self, images):
        """`[N, latent_dim]` codes of images in [0, 1]."""
        return self._run("encode", "code", images=images)

    def decode(self, code):
        """Images in [0, 1] decoded from `[N, latent_dim]` codes."""
        return self._run("decode", "images", code=code)

    def reconstruct(self, images):
        return self._run("reconstruct", "reconstruction", images=images)

    def anomaly_score(self, images):
        """Per-example reconstruction MSE `[N]` (compare with `model.threshold`)."""
        return self._run("anomaly_score", "score", images=images)

    @property
    def threshold(self):
        return float(self.anomaly_threshold.numpy())

    def calibrate(self, images, percentile=None):
        """Set the anomaly threshold to the `percentile` of the scores of normal held-out `images`."""
        percentile = (
            self.threshold_percentile if percentile is None else checks.number(percentile, "percentile", 0, 100)
        )
        self.anomaly_threshold.assign(float(np.percentile(self.anomaly_score(images), percentile)))
        return self.threshold

    # --- training harness hooks -------------------------------------------------------------------
    def held_out_split(self, test_set):
        """(calibration, evaluation) halves of the held-out split; each (images, labels) in [0, 1]."""
        from zoo.data import scale_images

        return self._halves(scale_images(test_set.images), np.asarray(test_set.labels))

    @staticmethod
    def _halves(images, labels):
        half = len(images) // 2
        return (images[:half], labels[:half]), (images[half:], labels[half:])

    def normal(self, labels):
        return np.ones(len(labels), bool) if self.held_out_class is None else labels != self.held_out_class

    def calibrate_on(self, test_set):
        """Harness hook, before the weights are saved: threshold from the calibration half's normal digits."""
        (images, labels), _ = self.held_out_split(test_set)
        return self.calibrate(images[self.normal(labels)])

    def held_out_metrics(self, test_set):
        """The card's figures, on the held-out split (normal classes unless stated)."""
        from sklearn.metrics import roc_auc_score

        from zoo.data import scale_images

        images, labels = scale_images(test_set.images), np.asarray(test_set.labels)
        normal_images = images[self.normal(labels)]
        noise = np.random.default_rng(0).random((256, *self.image_shape), dtype=np.float32)
        test_mse, noise_mse = (
            float(np.mean(self.anomaly_score(normal_images))),
            float(np.mean(self.anomaly_score(noise))),
        )
        result = {
            "test_mse": test_mse,
            "test_examples": int(len(normal_images)),
            # An identity map would reconstruct anything; a useful AE fails off the data manifold.
            "uniform_noise_mse": noise_mse,
            "noise_to_test_mse_ratio": noise_mse / test_mse,
        }
        (_, calibration_labels), (eval_images, eval_labels) = self._halves(images, labels)
        scores, normal = self.anomaly_score(eval_images), self.normal(eval_labels)
        result["anomaly"] = {
            "threshold": self.threshold,
            "threshold_percentile": self.threshold_percentile,
            "calibrated_on": f"{int(self.normal(calibration_labels).sum())} normal images, "
            "first half of the test split",
            "false_positive_rate": float(np.mean(scores[normal] > self.threshold)),
        }
        if self.held_out_class is not None:
            result["anomaly"].update(
                held_out_class=self.held_out_class,
                roc_auc=float(roc_auc_score(~normal, scores)),
                true_positive_rate=float(np.mean(scores[~normal] > self.threshold)),
                evaluated_on=f"second half of the test split: {int(normal.sum())} normal, "
                f"{int((~normal).sum())} {_class_words(test_set, self.held_out_class)} images",
            )
        result.update(self.extra_metrics(normal_images))
        return result

    def extra_metrics(self, images):
        """Type-specific held-out figures (sparsity, PSNR, PCA subspace...)."""
        return {}

    def calibration_inputs(self, n=64):
        """The run's first `n` training images (and their codes) per endpoint: int8 calibration data."""
        from zoo.data import scale_images

        if self.recipe is None:  # a model without a run (e.g. built in a test): declared draws
            return {}
        images = scale_images(self.data("train").first(n))
        return {
            "encode": {"images": images},
            "reconstruct": {"images": images},
            "anomaly_score": {"images": images},
            "decode": {"code": np.asarray(self.encode_tensor(images))},
        }

    def preview_inputs(self):
        from zoo.data import scale_images

        if self._preview_inputs is None:
            self._preview_inputs = scale_images(self.data("test").first(32))
        return self._preview_inputs

    _preview_inputs = None

    def preview(self):
        """Rows of eight: inputs, then their reconstructions (fixed held-out digits)."""
        inputs = self.preview_inputs()
        outputs = self.reconstruct(inputs)
        rows = [r for i in range(0, len(inputs), 8) for r in (inputs[i : i + 8], outputs[i : i + 8])]
        return np.concatenate(rows)


def _class_words(data, label):
    """How the held-out class reads: 'digit-3' for digits, "'Food & Drink' (class 3)" for named classes."""
    names = list(getattr(data, "class_names", None) or [])
    if names and label < len(names) and names[label] != str(label):
        return f"'{names[label]}' (class {label})"
    return f"digit-{label}"
