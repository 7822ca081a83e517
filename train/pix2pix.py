"""python -m train.pix2pix: paired image-to-image translation (offline default: MNIST-5k edges -> digits)."""

from train import harness

PAIRINGS = ("edges", "grey", "mask", "pairs")  # zoo.data.pairing.PAIRINGS without the downscalings (train.srgan)


def add_arguments(parser):
    harness.add_image_to_image(parser)
    parser.add_argument(
        "--pairing",
        choices=PAIRINGS,
        default="edges",
        help="how each input is made from its target image: edges (Sobel sketch), grey (colourisation), mask "
        "(centre inpainting), or pairs (real pairs: --dataset folder:DIR with DIR/A/<name> -> DIR/B/<name>)",
    )
    harness.architecture(
        parser.add_argument("--depth", type=harness.positive_int, default=2, help="U-Net down/up steps")
    )


def build(args, data):
    from zoo.gan.pix2pix import Pix2Pix

    model = Pix2Pix(
        output_shape=data.image_shape,
        depth=args.depth,
        keep_luminance=args.pairing == "grey",  # colourisation predicts colour, never the given brightness
        **harness.image_to_image_config(args, data),
    )
    return harness.attach_feature_loss(model, args, data)


trainer = harness.Trainer(
    "pix2pix",
    __doc__,
    build,
    add_arguments,
    epochs=10,
    batch_size=32,
    lr=1e-3,  # measured: 2 epochs at 1e-3 beat 2e-4 on held-out L1 (srgan 0.040 vs 0.051, edges 0.049 vs 0.067)
    name="pix2pix-{pairing}-{data}",
    load_data=harness.load_paired_data,
)
main = trainer.main


if __name__ == "__main__":
    main()
