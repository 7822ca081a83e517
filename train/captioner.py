"""python -m train.captioner: image -> sequence (two MNIST-5k digits -> their number in words, offline)."""

from train import harness
from train.seq2seq import add_decoder_arguments, decoder_config


def add_arguments(p):
    add_decoder_arguments(p, ("gru", "lstm"), "decoder cell")
    harness.architecture(
        p.add_argument("--width", type=harness.positive_int, default=32, help="filters of the first convolution")
    )
    harness.architecture(
        p.add_argument(
            "--encoder",
            choices=("strided", "classifier"),
            default="strided",
            help="convolutional encoder: five convolutions, two strided; or classifier-mnist's trunk (two convolutions "
            "and max pooling, twice)",
        )
    )
    p.add_argument(
        "--freeze-encoder",
        action="store_true",
        help="with --encoder-from: keep the copied convolutions fixed (only the decoder trains)",
    )
    p.add_argument(
        "--encoder-from",
        default=None,
        metavar="CLASSIFIER",
        help="with --encoder classifier: start the encoder from this classifier's convolutions (e.g. classifier-mnist)",
    )
    add_data_arguments(p)


def add_data_arguments(p):
    p.add_argument(
        "--pairs",
        type=harness.positive_int,
        default=12000,
        help="training pairs drawn from the 4,000 training digits (the 2,000 held-out pairs never change)",
    )
    p.add_argument(
        "--shift",
        type=harness.pixel_shift,
        default=0,
        metavar="PX",
        help="move each training digit by its own random offset of up to PX pixels (drawn once, with the pairs' "
        "fixed seed; 0 = none)",
    )


def load_data(args, split):
    from zoo.sequence.captioner import load_pairs

    return load_pairs(args.dataset, split, pairs=args.pairs, shift=args.shift)


def check(args):
    if args.encoder_from and args.encoder != "classifier":
        raise harness.UsageError("--encoder-from copies a classifier's convolutions: it needs --encoder classifier")
    if args.freeze_encoder and not args.encoder_from:
        raise harness.UsageError("--freeze-encoder keeps the copied convolutions fixed: it needs --encoder-from")


def build(args, data):
    from zoo.sequence.captioner import ImageCaptioner

    model = ImageCaptioner(
        image_shape=data.inputs.shape[1:], width=args.width, encoder=args.encoder, **decoder_config(args)
    )
    if args.encoder_from and not args.resume:  # a resumed run restores its own (trained) encoder
        import zoo

        copied = model.start_encoder_from(zoo.load(args.encoder_from))
        print(f"--encoder-from {args.encoder_from}: {copied} convolutions copied into the encoder")
    if args.freeze_encoder:  # before compile: the convolutions get no updates (on resume too)
        for layer in model.conv:
            layer.trainable = False
    return model


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
    check=check,
    dataset=("mnist-pairs", "mnist-pairs (two MNIST-5k digits side by side -> words, offline)"),
)
main = trainer.main


if __name__ == "__main__":
    main()
