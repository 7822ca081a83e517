"""python -m train.cyclegan: unpaired translation between two image domains (default MNIST-5k <-> UCI digits)."""

import argparse

from train import harness
from zoo.data import load_unpaired


def add_arguments(parser):
    parser.set_defaults(dataset="mnist5k")
    parser.add_argument("--dataset-b", default="digits", help="domain B (domain A is --dataset)")
    harness.architecture(
        parser.add_argument("--width", type=harness.positive_int, default=16, help="generator base filters")
    )
    harness.architecture(
        parser.add_argument("--blocks", type=harness.positive_int, default=3, help="residual blocks per generator")
    )
    harness.add_ema_decay(parser)


def load_data(args, split):
    a = harness.default_data(args, split)
    args_b = argparse.Namespace(**{**vars(args), "dataset": args.dataset_b})
    return load_unpaired(a, harness.default_data(args_b, split))


def build(args, data):
    from zoo.gan.cyclegan import CycleGAN

    return CycleGAN(
        image_shape=data.image_shape, width=args.width, blocks=args.blocks, seed=args.seed, ema_decay=args.ema_decay
    )


trainer = harness.Trainer(
    "cyclegan",
    __doc__,
    build,
    add_arguments,
    epochs=10,
    batch_size=16,
    name="cyclegan-{data}",
    load_data=load_data,
)
main = trainer.main


if __name__ == "__main__":
    main()
