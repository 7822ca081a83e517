"""python -m train.stylegan: train StyleGAN-lite on 32x32 digits (offline MNIST-5k padded to 32x32). See --help."""

from train import harness


def add_arguments(parser):
    from zoo.choices import LOSSES

    parser.set_defaults(dataset="mnist5k-32")
    harness.add_gan_recipe(parser, r1_gamma=1.0)
    parser.add_argument("--loss", default="non-saturating", choices=LOSSES, help="adversarial loss")
    harness.architecture(parser.add_argument("--latent-dim", type=harness.positive_int, default=64, help="size of z"))
    harness.architecture(parser.add_argument("--w-dim", type=harness.positive_int, default=64, help="size of w"))
    parser.add_argument("--mixing", type=float, default=0.9, help="style-mixing probability")


def check(args):
    if not 0 <= args.mixing <= 1:
        raise harness.UsageError(f"--mixing must lie in [0, 1], got {args.mixing}")


def build(args, data):
    from zoo.gan.stylegan import StyleGANLite

    if data.image_shape[:2] != (32, 32):
        raise harness.UsageError(f"StyleGAN-lite makes 32x32 images; --dataset {args.dataset} has {data.image_shape}")
    return StyleGANLite(
        latent_dim=args.latent_dim,
        w_dim=args.w_dim,
        image_shape=data.image_shape,
        loss=args.loss,
        mixing=args.mixing,
        seed=args.seed,
        **harness.gan_recipe(args),
    )


trainer = harness.Trainer(
    "stylegan",
    __doc__,
    build,
    add_arguments,
    epochs=20,
    batch_size=32,
    lr=1e-3,
    name="stylegan-lite-{data}",
    check=check,
)
main = trainer.main


if __name__ == "__main__":
    main()
