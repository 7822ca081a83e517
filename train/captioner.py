"""python -m train.captioner: image -> sequence (two MNIST-5k digits -> their number in words, offline)."""

from train import harness
from train.seq2seq import add_decoder_arguments, decoder_config


def add_arguments(p):
    add_decoder_arguments(p, ("gru", "lstm"), "decoder cell")
    harness.architecture(
        p.add_argument("--width", type=harness.positive_int, default=32, help="filters of the first convolution")
    )


def load_data(args, split):
    from zoo.sequence.captioner import load_pairs

    return load_pairs(args.dataset, split)


def build(args, data):
    from zoo.sequence.captioner import ImageCaptioner

    return ImageCaptioner(image_shape=data.inputs.shape[1:], width=args.width, **decoder_config(args))


trainer = harness.Trainer(
    "captioner",
    __doc__,
    build,
    add_arguments,
    epochs=10,
    batch_size=64,
    lr=2e-3,
    name="captioner-{data}",
    load_data=load_data,
    dataset=("mnist-pairs", "mnist-pairs (two MNIST-5k digits side by side -> words, offline)"),
)
main = trainer.main


if __name__ == "__main__":
    main()
