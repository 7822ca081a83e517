"""python -m train.autoencoder --type TYPE: train one of the nine autoencoders. See --help.

Types: vanilla, linear, undercomplete, overcomplete, sparse, denoising, contractive, conv, variational
(also `python -m train.ae_<type>` / `python -m train.vae`). Type-specific flags are refused for the
other types; unset flags keep the type's defaults (recorded in the card's config).
"""

import sys

from train import harness
from zoo.choices import AUTOENCODER_TYPES as TYPES

# flag destination -> (constructor argument, the types it applies to; None = all)
OPTIONS = {
    "latent_dim": ("latent_dim", None),
    "hidden": ("hidden", set(TYPES) - {"conv"}),
    "dropout": ("dropout", None),
    "weight_decay": ("weight_decay", None),
    "threshold_percentile": ("threshold_percentile", None),
    "sparsity": ("sparsity", {"sparse"}),
    "sparsity_target": ("sparsity_target", {"sparse"}),
    "sparsity_weight": ("sparsity_weight", {"sparse"}),
    "corruption": ("corruption", {"denoising"}),
    "corruption_level": ("corruption_level", {"denoising"}),
    "contractive_weight": ("contractive_weight", {"contractive"}),
    "beta": ("beta", {"variational"}),
    "width": ("width", {"conv"}),
}


def entry_name(kind):
    """The default entry name of a type, with {data} for the dataset (ae-conv-{data}, vae-{data})."""
    return "vae-{data}" if kind == "variational" else f"ae-{kind}-{{data}}"


def widths(text):
    try:
        values = tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise harness.argparse.ArgumentTypeError(f"expected comma-separated positive integers, got '{text}'") from None
    if any(v <= 0 for v in values):
        raise harness.argparse.ArgumentTypeError(f"layer widths must be positive, got '{text}'")
    return values


def unit_fraction(text):
    value = harness.positive_float(text)
    if value >= 1:
        raise harness.argparse.ArgumentTypeError(f"must lie in (0, 1), got {text}")
    return value


def percentile(text):
    value = harness.positive_float(text)
    if value >= 100:
        raise harness.argparse.ArgumentTypeError(f"must lie in (0, 100), got {text}")
    return value


def add_arguments(p, kind=None):
    if kind is None:
        p.add_argument("--type", required=True, choices=sorted(TYPES), help="which autoencoder")
    p.add_argument("--latent-dim", type=harness.positive_int, help="code size")
    p.add_argument(
        "--hidden", type=widths, help="hidden layer widths of the dense encoder, e.g. 512,256 (decoder mirrors it)"
    )
    p.add_argument("--dropout", type=harness.dropout_rate, help="dropout before each encoder layer")
    p.add_argument("--weight-decay", type=float, help="decoupled weight decay (AdamW)")
    p.add_argument(
        "--holdout-class",
        type=int,
        default=None,
        help="leave this label out of training (anomaly detection experiment)",
    )
    p.add_argument(
        "--threshold-percentile",
        type=percentile,
        help="anomaly threshold: this percentile of held-out normal scores (default 99)",
    )
    p.add_argument("--sparsity", choices=["kl", "l1"], help="sparse: KL(rho || rho_hat) or L1 activity penalty")
    p.add_argument("--sparsity-target", type=unit_fraction, help="sparse: target mean activation rho")
    p.add_argument("--sparsity-weight", type=harness.positive_float, help="sparse: penalty weight (beta or lambda)")
    p.add_argument("--corruption", choices=["gaussian", "salt-and-pepper"], help="denoising: corruption kind")
    p.add_argument("--corruption-level", type=harness.positive_float, help="denoising: noise std or pixel share")
    p.add_argument(
        "--contractive-weight", type=harness.positive_float, help="contractive: lambda of the Jacobian penalty"
    )
    p.add_argument("--beta", type=harness.positive_float, help="variational: weight of the KL term")
    p.add_argument("--width", type=harness.positive_int, help="conv: filters of the first conv layer")


def build(args, data):
    kind = args.type
    config = {"image_shape": data.image_shape, "seed": args.seed}
    for dest, (argument, types) in OPTIONS.items():
        value = getattr(args, dest)
        if value is None:
            continue
        if types is not None and kind not in types:
            raise harness.UsageError(f"--{dest.replace('_', '-')} does not apply to --type {kind}")
        config[argument] = value
    from zoo.autoencoders import TYPES as CLASSES

    return CLASSES[kind](**config)


def load_data(args, split):
    data = harness.default_data(args, split)
    if args.holdout_class is None or split != "train":
        return data
    if args.holdout_class not in set(data.labels.tolist()):
        raise harness.UsageError(f"--holdout-class {args.holdout_class}: no such label in {args.dataset}")
    return data.subset(data.labels != args.holdout_class, f"{split} without label {args.holdout_class}")


def main(argv=None, kind=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if kind is not None:  # train.ae_<type>: the type is fixed by the module
        argv = ["--type", kind, *argv]
    chosen = next((argv[i + 1] for i, a in enumerate(argv[:-1]) if a == "--type"), None)
    name = entry_name(chosen) if chosen in TYPES else None
    if name and not any(a == "--out" or a.startswith("--out=") for a in argv):
        argv += ["--out", f"runs/{name.replace('-{data}', '')}"]
    return harness.main(
        "autoencoder",
        __doc__.splitlines()[0],
        build,
        add_arguments,
        argv,
        epochs=30,
        batch_size=64,
        lr=1e-3,
        name=name,
        load_data=load_data,
    )


if __name__ == "__main__":
    main()
