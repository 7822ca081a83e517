"""python -m train.classifier: train the digit classifier (the zoo's FID feature network). See --help."""

from train import harness


def add_arguments(parser):
    harness.architecture(
        parser.add_argument("--width", type=harness.positive_int, default=32, help="filters of the first conv block")
    )
    harness.architecture(
        parser.add_argument(
            "--feature-dim", type=harness.positive_int, default=128, help="size of the penultimate (feature) layer"
        )
    )


def build(args, data):
    from zoo.classifier import Classifier

    if len(data.class_names) < 2:
        raise harness.UsageError(
            f"{args.dataset} has one class ({data.class_names[0]!r}): a classifier needs at least two "
            "(its test accuracy would be 1.0 by construction)"
        )

    return Classifier(
        image_shape=data.image_shape,
        num_classes=len(data.class_names),
        width=args.width,
        feature_dim=args.feature_dim,
        seed=args.seed,
    )


trainer = harness.Trainer(
    "classifier",
    __doc__,
    build,
    add_arguments,
    epochs=8,
    batch_size=64,
    lr=1e-3,
    name="classifier-{data}",
)
main = trainer.main


if __name__ == "__main__":
    main()
