"""python -m train.text2image: text -> image GAN (GAN-INT-CLS) drawing emoji from the words of their names (offline)."""

from train import harness


def add_arguments(parser):
    # The conditional GAN's recipe (R1 1 with StyleGAN2's Adam, EMA, width 32, batch 32, lr 1e-3).
    harness.add_gan_recipe(parser, r1_gamma=1.0)
    parser.add_argument(
        "--image-size", type=int, choices=[32, 64], default=32, help="emoji side (32: blocks of the 64x64 originals)"
    )
    harness.architecture(
        parser.add_argument("--latent-dim", type=harness.positive_int, default=64, help="size of the latent z")
    )
    harness.architecture(
        parser.add_argument("--width", type=harness.positive_int, default=32, help="base filter count")
    )
    harness.architecture(
        parser.add_argument("--embed-dim", type=harness.positive_int, default=64, help="word embedding size")
    )
    parser.add_argument(
        "--keep-words",
        type=harness.probability,
        default=0.75,
        help="word dropout: the probability each training word is kept (at least one is; 1 = off)",
    )


def load_data(args, split):
    from zoo.gan.text2image import load_texts

    return load_texts(args.dataset, split, args.image_size)


def build(args, data):
    from zoo.gan.text2image import TextToImageGAN

    return TextToImageGAN(
        vocabulary=data.info["vocabulary"],
        latent_dim=args.latent_dim,
        image_shape=data.targets.shape[1:],
        width=args.width,
        embed_dim=args.embed_dim,
        keep_words=args.keep_words,
        seed=args.seed,
        **harness.gan_recipe(args),
    )


trainer = harness.Trainer(
    "text2image",
    __doc__,
    build,
    add_arguments,
    epochs=30,
    batch_size=32,
    lr=1e-3,
    name="text2image-{data}",
    load_data=load_data,
    dataset=("emoji", "emoji (Noto emoji with the words of their names, offline)"),
)
main = trainer.main


if __name__ == "__main__":
    main()
