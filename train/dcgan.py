"""python -m train.dcgan: train a DCGAN (offline on MNIST-5k by default). See --help."""

from train import harness
from zoo.choices import LOSSES


def add_arguments(parser):
    # The flagship recipe (README "Small-data GAN recipe"): R1 on the discriminator with StyleGAN2's
    # Adam, generator EMA and batch norm, a 32-wide network at batch 32 and lr 1e-3 -- the most
    # progress per CPU second.
    harness.add_gan_recipe(parser, r1_gamma=1.0)
    parser.add_argument("--loss", default="non-saturating", choices=LOSSES, help="adversarial loss")
    harness.add_normalisation(parser)
    harness.architecture(
        parser.add_argument("--latent-dim", type=harness.positive_int, default=128, help="size of the latent z")
    )
    harness.architecture(
        parser.add_argument(
            "--width", type=harness.positive_int, default=32, help="base filter count (generator 2w, w)"
        )
    )
    parser.add_argument(
        "--dropout", type=harness.dropout_rate, default=0.2, help="dropout before the discriminator's last layer"
    )


def build(args, data):
    from zoo.gan.dcgan import DCGAN

    return DCGAN(
        latent_dim=args.latent_dim,
        image_shape=data.image_shape,
        loss=args.loss,
        width=args.width,
        dropout=args.dropout,
        spectral_norm=args.spectral_norm,
        batch_norm=args.batch_norm,
        seed=args.seed,
        **harness.gan_recipe(args),
    )


trainer = harness.Trainer(
    "dcgan",
    __doc__,
    build,
    add_arguments,
    epochs=20,
    batch_size=32,
    lr=1e-3,
    name="dcgan-{data}",
)
main = trainer.main


if __name__ == "__main__":
    main()
