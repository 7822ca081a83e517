"""The model contract: what every zoo model declares, with documented defaults.

The harness, the evaluator, the exporter and `zoo.vis` call these; they never ask a model whether
it has an attribute, nor what class it is. A family base class (GAN, CycleGAN, Autoencoder,
Classifier, SequenceModel) overrides what differs, and a model is complete when
`tests/test_contract.py` passes for it. In a model's bases the family mixins (TwoPlayer,
AveragedGenerator, OneOptimizer) come before ZooModel, so what they define wins over the defaults here.

Data never lives in a model's architecture config. The run's data recipe (`zoo.data`: dataset
reference, shape, class names, scaling, split, seed) is attached as `model.recipe` when the model
is trained or loaded, and everything that needs the data reads it from there (`model.data(split)`).
"""

from __future__ import annotations

LITERT_VARIANTS = ("float16", "dynamic", "int8")


class ZooModel:
    """Mixin for every zoo `keras.Model`. Class attributes are declarations; methods are hooks."""

    #: what the harness hands to `fit`: "images" (an ImageData split), "unpaired" (two image
    #: domains), "paired" ((input, target) pairs, zoo.data.pairing) or "arrays" (the model's own
    #: ArraySet, e.g. sequence windows)
    data_kind = "images"
    #: batches are (inputs, labels) pairs rather than inputs alone
    uses_labels = False
    #: how `zoo.evaluate` scores the model, any of: "held_out" (its own `held_out_metrics` on the
    #: test split), "samples" (a generator, against the test split in a feature network),
    #: "conditional" (+ class accuracy of labelled samples), "translation" (two domains)
    evaluation = ("held_out",)
    #: the `python -m zoo.vis --kind` values that apply to this model
    vis_kinds = ("curves",)
    #: the public NumPy methods besides the endpoints; each checks its arguments (`zoo.checks`, the
    #: endpoints' declared inputs) and raises `InputError` on bad ones (tests/test_robustness.py)
    api = ()
    #: quantized LiteRT files the exporter offers, and why others are not
    litert_variants = LITERT_VARIANTS
    litert_variants_note = ""
    #: the data recipe of the run (set by `attach_recipe`) and the model card (set by `zoo.load`)
    recipe = None
    card = None
    #: the named sub-networks (keras-hub's `backbone` / `preprocessor`): what `--freeze` and
    #: `--from-pretrained` name, in the order a reader meets them
    part_names = ()
    #: the model can serve as the feature network of the image metrics (`zoo.evaluation.features`)
    feature_network = False
    #: a recurrent model's fixed sequence length (its unrolled export copy has one; None: any length)
    fixed_length = None
    #: it samples from a moving average of its generator (`--raw-generator` switches that off)
    keeps_average = False

    # --- what it is -------------------------------------------------------------------------------
    def endpoints(self):
        """{name: zoo.serving.endpoints.Endpoint}: the deployable functions, as `python -m export` writes
        them. Every model declares its own."""
        raise NotImplementedError(f"{type(self).__name__} declares no endpoints")

    def endpoint(self, name):
        """The endpoint `name` as the NumPy API runs it: the same input and output checks, its function
        compiled once per model and endpoint (`Endpoint.compiled`: one trace for every batch size and
        free length) and kept until `endpoint_state()` changes or a recipe is attached. For debugging,
        run it eagerly with `tf.config.run_functions_eagerly(True)`."""
        import dataclasses

        from zoo.errors import UnknownNameError

        declared = self.endpoints()
        if name not in declared:
            raise UnknownNameError(f"no endpoint '{name}'; this model has {', '.join(declared)}")
        endpoint = declared[name]
        cache = self.__dict__.get("_compiled_endpoints")
        if cache is None:  # set past Keras' attribute tracking: a cache, not a layer or a weight
            cache = {}
            object.__setattr__(self, "_compiled_endpoints", cache)
        key = (name, self.endpoint_state())
        if key not in cache:
            cache[key] = endpoint.compiled()
        compiled, keys = cache[key], list(endpoint.inputs)
        return dataclasses.replace(endpoint, fn=lambda **inputs: compiled(*(inputs[k] for k in keys)))

    def endpoint_state(self):
        """The Python values (not weights: those are variables) that the endpoints' functions read and
        that may change after the model is built; a compiled endpoint is retraced when they change.
        Default: none."""
        return ()

    @property
    def optimizers(self):
        """{attribute name: optimizer} of every optimizer the model trains with (the full-state
        checkpoint saves their slots). Default: none (a model that is never compiled)."""
        return {}

    def parts(self):
        """{name: sub-network} of the named parts that hold weights (`part_names`)."""
        found = {name: getattr(self, name) for name in self.part_names}
        return {name: part for name, part in found.items() if part is not None and part.weights}

    def saliency_subject(self):
        """(networks, score(outputs) or None, description) for `zoo.vis`'s saliency and Grad-CAM maps:
        the networks run in sequence on an image, e.g. a discriminator and its 'real' logit. Default:
        None (no such map for this model)."""
        return None

    # --- data ------------------------------------------------------------------------------------
    def attach_recipe(self, recipe):
        """Remember the data this model was trained on (from the harness, or a card at load)."""
        self.recipe = dict(recipe) if recipe else None
        self.__dict__.pop("_compiled_endpoints", None)  # endpoints may read the recipe (a scaling): retrace
        return self

    def data(self, split):
        """The `split` of the run's own data (raises DataError when the model has no recipe)."""
        from zoo.data import from_recipe

        return from_recipe(self.recipe, split)

    @property
    def class_names(self):
        return tuple((self.recipe or {}).get("class_names") or ())

    # --- training hooks ---------------------------------------------------------------------------
    def adapt(self, data):
        """Statistics of the training data before the first step (default: none)."""

    def learning_rate_at(self, epoch, epochs):
        """Learning rate of every optimizer in `epoch` (0-based), or None to leave it as compiled."""
        return None

    def preview(self):
        """Images shown after every epoch (rows of eight, float [0, 1]), or None for no grid."""
        return None

    def monitored(self, reals, n=256, seed=12345):
        """What the collapse monitor watches: a list of `(what, generated images, real images,
        discriminator_features)` triples, `discriminator_features(images) -> [N, D]` (the
        discriminator's own penultimate features). `reals` is the start of the training data.
        Default: nothing (not a GAN)."""
        return []

    def calibrate_on(self, test_set):
        """After training, before the weights are saved: fit data-dependent weights (e.g. an
        anomaly threshold) on the held-out split. Default: nothing."""

    def held_out_metrics(self, test_set):
        """The card's figures on the run's held-out split (a dict); default: none."""
        return {}

    def validation_logs(self, data):
        """{"val_loss": ...} on a validation slice (`--validation-fraction`); only the models whose
        trainers offer that flag declare it."""
        raise NotImplementedError(f"{type(self).__name__} has no validation score")

    def use_feature_network(self, network):
        """Train with a feature (perceptual) loss in `network`'s space (`--feature-weight`); only the
        image-to-image GANs declare it."""
        raise NotImplementedError(f"{type(self).__name__} takes no feature loss")

    # --- deployment -------------------------------------------------------------------------------
    def export_source(self):
        """The model the exporter converts to LiteRT (a fixed-length copy for recurrent models)."""
        return self

    def calibration_inputs(self, n=64):
        """{endpoint: {input: [n, ...] array}} drawn from the run's own training data, for int8
        calibration; endpoints left out fall back to their declared input distribution."""
        return {}
