"""python -m train.autoencoder --type TYPE: train one of the nine autoencoders. See --help.

Types: vanilla, linear, undercomplete, overcomplete, sparse, denoising, contractive, conv, variational
(also `python -m train.ae_<type>` / `python -m train.vae`). Type-specific flags are refused for the
other types; unset flags keep the type's defaults (recorded in the card's config).
"""

import argparse
import sys

from train import harness
from zoo.choices import AUTOENCODER_DEFAULTS as DEFAULTS
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
        raise argparse.ArgumentTypeError(f"expected comma-separated positive integers, got '{text}'") from None
    if any(v <= 0 for v in values):
        raise argparse.ArgumentTypeError(f"layer widths must be positive, got '{text}'")
    return values


def unit_fraction(text):
    value = harness.positive_float(text)
    if value >= 1:
        raise argparse.ArgumentTypeError(f"must lie in (0, 1), got {text}")
    return value


def percentile(text):
    value = harness.positive_float(text)
    if value >= 100:
        raise argparse.ArgumentTypeError(f"must lie in (0, 100), got {text}")
    return value


def _shown(value):
    return (",".join(map(str, value)) or "none") if isinstance(value, tuple) else str(value)


def add_arguments(p, kind=None):
    def default(dest):
        """Each type has its own defaults: the chosen type's value, or every applicable type's."""
        types = [kind] if kind else [t for t in TYPES if dest in DEFAULTS[t]]
        values = {t: _shown(DEFAULTS[t][dest]) for t in types}
        if len(set(values.values())) == 1:
            return f" (default: {next(iter(values.values()))})"
        return " (default: " + ", ".join(f"{t} {v}" for t, v in values.items()) + ")"

    if kind is None:
        p.add_argument("--type", required=True, choices=sorted(TYPES), help="which autoencoder")
    p.add_argument(
        "--holdout-class",
        type=int,
        default=None,
        help="leave this label out of training (anomaly detection experiment; default: none)",
    )
    for flag, dest, extra, text in [
        ("--latent-dim", "latent_dim", {"type": harness.positive_int}, "code size"),
        ("--hidden", "hidden", {"type": widths}, "dense encoder's hidden widths, e.g. 512,256 (decoder mirrors it)"),
        ("--dropout", "dropout", {"type": harness.dropout_rate}, "dropout before each encoder layer"),
        ("--weight-decay", "weight_decay", {"type": float}, "decoupled weight decay (AdamW)"),
        ("--threshold-percentile", "threshold_percentile", {"type": percentile}, "anomaly threshold percentile"),
        ("--sparsity", "sparsity", {"choices": ["kl", "l1"]}, "sparse: KL(rho || rho_hat) or L1 activity penalty"),
        ("--sparsity-target", "sparsity_target", {"type": unit_fraction}, "sparse: target mean activation rho"),
        ("--sparsity-weight", "sparsity_weight", {"type": harness.positive_float}, "sparse: penalty weight"),
        ("--corruption", "corruption", {"choices": ["gaussian", "salt-and-pepper"]}, "denoising: corruption kind"),
        ("--corruption-level", "corruption_level", {"type": harness.positive_float}, "denoising: std or pixel share"),
        ("--contractive-weight", "contractive_weight", {"type": harness.positive_float}, "contractive: lambda"),
        ("--beta", "beta", {"type": harness.positive_float}, "variational: weight of the KL term"),
        ("--width", "width", {"type": harness.positive_int}, "conv: filters of the first conv layer"),
    ]:
        action = p.add_argument(flag, **extra, help=text + default(dest))  # refused by check() for other types
        if dest in ("latent_dim", "hidden", "width"):
            harness.architecture(action)  # default None (the type's own): --from-pretrained takes only set ones


def check(args):
    """Type-specific flags given for another type are refused (before TensorFlow loads)."""
    for dest, (_, types) in OPTIONS.items():
        if getattr(args, dest, None) is not None and types is not None and args.type not in types:
            raise harness.UsageError(f"--{dest.replace('_', '-')} does not apply to --type {args.type}")


def build(args, data):
    config = {"image_shape": data.image_shape, "seed": args.seed}
    for dest, (argument, _) in OPTIONS.items():
        if getattr(args, dest, None) is not None:
            config[argument] = getattr(args, dest)
    from zoo.autoencoders import TYPES as CLASSES

    return CLASSES[args.type](**config)


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
    trainer = harness.Trainer(
        "autoencoder", __doc__, build, add_arguments, 30, 64, 1e-3, name=name, load_data=load_data, check=check
    )
    return trainer.main(argv)


if __name__ == "__main__":
    main()
