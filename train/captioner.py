"""python -m train.captioner: image -> sequence (two MNIST-5k digits -> their number in words, offline)."""

from train import harness

ATTENTIONS = ("luong", "bahdanau", "none")


def add_arguments(p):
    p.add_argument("--cell", choices=("gru", "lstm"), default="gru", help="decoder cell")
    p.add_argument("--units", type=harness.positive_int, default=128, help="decoder units per layer")
    p.add_argument("--depth", type=harness.positive_int, default=1, help="stacked decoder layers")
    p.add_argument("--attention", choices=ATTENTIONS, default="luong", help="attention over the image grid")
    p.add_argument("--width", type=harness.positive_int, default=32, help="filters of the first convolution")
    p.add_argument("--embedding-dim", type=harness.positive_int, default=32, help="character embedding size")
    p.add_argument(
        "--clip-norm", type=harness.positive_float, default=1.0, help="clip the gradient's global norm to this"
    )


def load_data(args, split):
    from zoo.sequence.captioner import load_pairs

    return load_pairs(args.dataset, split)


def build(args, data):
    from zoo.sequence.captioner import ImageCaptioner

    return ImageCaptioner(
        image_shape=data.inputs.shape[1:],
        cell=args.cell,
        units=args.units,
        depth=args.depth,
        attention=args.attention,
        width=args.width,
        embedding_dim=args.embedding_dim,
        clip_norm=args.clip_norm,
        seed=args.seed,
    )


def main(argv=None):
    return harness.main(
        "captioner",
        __doc__.splitlines()[0],
        build,
        add_arguments,
        argv,
        epochs=10,
        batch_size=64,
        lr=2e-3,
        name="captioner-{data}",
        load_data=load_data,
        dataset=("mnist-pairs", "mnist-pairs (two MNIST-5k digits side by side -> words, offline)"),
    )


if __name__ == "__main__":
    main()
