"""python -m train.row_classifier: classify digits read row by row (28 steps x 28 features). See --help."""

from train import harness
from train.sequence import add_cell_arguments, cell_config


def add_arguments(p):
    add_cell_arguments(p, cell="bilstm", units=64, depth=1)


def build(args, data):
    from zoo.sequence import SequenceClassifier

    height, width, channels = data.image_shape
    if channels != 1:
        raise harness.UsageError(
            f"row-by-row reading needs single-channel images, {args.dataset} has {channels} channels"
        )
    return SequenceClassifier(features=width, steps=height, num_classes=int(data.labels.max()) + 1, **cell_config(args))


trainer = harness.Trainer(
    "row_classifier",
    __doc__,
    build,
    add_arguments,
    epochs=15,
    batch_size=64,
    lr=1e-3,
    name="bilstm-{data}-rows",
)
main = trainer.main


if __name__ == "__main__":
    main()
