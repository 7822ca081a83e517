"""The trainers' flags and their rules: the shared flags every `python -m train.<model>` has, the
groups some trainers add (the GAN recipe, normalisation, image to image), and what each flag
declares about a run's lifetime:

  run_setting(action)    `--resume` may change it (how long the run goes, where and how it reports,
                         what hardware it runs on); every other flag shapes the data, the model or
                         its steps, and a resume that changes it is refused
  architecture(action)   `--from-pretrained` takes it from its source when the command line leaves it
                         unset (keras-hub's from_preset)

No list of flag names is kept by hand: the rules are read off the parser (`FlagRules.of`).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

from zoo.checks import (  # noqa: F401  (the flag types trainers use, as harness.positive_int ...)
    augment_flag,
    dropout_rate,
    fraction,
    non_negative_float,
    pixel_shift,
    positive_float,
    positive_int,
    probability,
    quantile_levels,
    semitones,
    zero_to_one,
)
from zoo.checks import seed_flag as seed
from zoo.data import available as offline_datasets
from zoo.errors import ZooError, cli_parser


class UsageError(ZooError):
    """A flag combination or output folder that cannot be used."""


def run_setting(action):
    """Declare that `--resume` may change this flag (see the module docstring)."""
    action.resume_may_change = True
    return action


def architecture(action):
    """Declare that `--from-pretrained` takes this flag from its source when it is left unset. A flag
    whose default is None means "the type's own default" (the autoencoders' sizes) and is not taken."""
    action.adopted = True
    return action


#: attributes a trainer sets on the parsed flags that are not flags (never compared on resume)
NOT_SETTINGS = ("name_template",)


@dataclass(frozen=True)
class FlagRules:
    """What a trainer's flags declare, read off its parser."""

    may_change: frozenset
    adopted: tuple

    @classmethod
    def of(cls, p):
        actions = p._actions
        return cls(
            frozenset(a.dest for a in actions if getattr(a, "resume_may_change", False)) | set(NOT_SETTINGS),
            tuple(a.dest for a in actions if getattr(a, "adopted", False)),
        )


def add_ema_decay(p, default=0.999):
    """--ema-decay: every GAN trainer's moving average of the generator (zoo.gan.base.AveragedGenerator)."""
    p.add_argument(
        "--ema-decay",
        type=zero_to_one,
        default=default,
        help="sample, preview, evaluate and export a moving average of the generator's weights with this "
        "decay (warmed up over the first steps; 0 = off, use the generator itself)",
    )


def add_gan_recipe(p, ema_decay=0.999, augment="none", r1_gamma=0.0, d_lr_factor=1.0):
    # Defaults from benchmarks/gan_recipe.py (README "The small-data GAN recipe"): EMA helped every
    # seed; augmentation made short runs worse and is left to longer ones (--augment); R1 is each
    # trainer's choice (DCGAN and cGAN: 1, the flagship recipe with width 32, batch 32, lr 1e-3), and
    # so is TTUR (WGAN-GP: the critic at 2 x --lr; DCGAN: one rate, TTUR did not help it). Spectral
    # norm (add_normalisation) is off: it made DCGAN worse and WGAN-GP far worse. Generator batch norm
    # (add_normalisation) helped both for every seed at 20 epochs: DCGAN's and WGAN-GP's default.
    """The small-data GAN recipe's flags (zoo.gan.base, zoo.gan.augment), shared by the GAN trainers."""
    add_ema_decay(p, ema_decay)
    p.add_argument(
        "--augment",
        type=augment_flag,
        default=augment,
        metavar="POLICY",
        help="differentiable augmentation of every image the discriminator sees, real and generated "
        "(DiffAugment): none (the default) or a comma list of translation, cutout, color",
    )
    p.add_argument(
        "--augment-adaptive",
        type=fraction,
        default=None,
        metavar="TARGET",
        help="apply --augment with a probability p tuned during training to keep E[sign D(real)] at TARGET "
        "(ADA; e.g. 0.6); default: always augment",
    )
    p.add_argument(
        "--r1-gamma",
        type=non_negative_float,
        default=r1_gamma,
        metavar="GAMMA",
        help=f"R1 penalty (gamma/2)|grad D(real)|^2 on the discriminator (0 = off; with it, Adam uses "
        f"StyleGAN2's betas (0, 0.99)); default {r1_gamma:g}",
    )
    p.add_argument(
        "--lr-d",
        type=positive_float,
        default=None,
        metavar="LR",
        help="the discriminator's own learning rate (two time-scale update rule, Heusel et al. 2017); "
        + ("default: --lr" if d_lr_factor == 1 else f"default: {d_lr_factor:g} x --lr"),
    )
    p.set_defaults(d_lr_factor=d_lr_factor)  # resolved into --lr-d once the flags are read (resolve_flags)


def add_normalisation(p, batch_norm=True):
    """--spectral-norm and --batch-norm/--no-batch-norm: the DCGAN-family's discriminator spectral
    normalisation and generator batch normalisation (zoo.gan.dcgan)."""
    p.add_argument(
        "--spectral-norm",
        action="store_true",
        help="spectral normalisation of the discriminator's weight layers (Miyato et al. 2018); default off",
    )
    architecture(
        p.add_argument(
            "--batch-norm",
            action=argparse.BooleanOptionalAction,
            default=batch_norm,
            help="batch normalisation of the generator's hidden layers (the DCGAN paper's generator); "
            + ("default on (--no-batch-norm: off)" if batch_norm else "default off"),
        )
    )


def add_image_to_image(p, ema_decay=0.999):
    """Flags of the paired image-to-image GANs (zoo.gan.image_to_image): loss weights and the EMA."""
    from zoo.choices import LOSSES

    architecture(p.add_argument("--width", type=positive_int, default=32, help="generator base filters"))
    p.add_argument(
        "--loss",
        default="non-saturating",
        choices=[loss for loss in LOSSES if loss != "wgan-gp"],  # no gradient penalty in these models
        help="adversarial loss of the PatchGAN critic",
    )
    p.add_argument("--l1-weight", type=non_negative_float, default=100.0, help="weight of the pixel L1 loss")
    p.add_argument(
        "--adversarial-weight",
        type=non_negative_float,
        default=1.0,
        help="weight of the adversarial loss; 0 trains the same generator on its content loss only (the "
        "non-adversarial twin) and skips the critic",
    )
    p.add_argument(
        "--feature-weight",
        type=non_negative_float,
        default=0.0,
        help="weight of an L1 loss between --feature-network features (default classifier-mnist) of output and "
        "target; 0 = off",
    )
    add_ema_decay(p, ema_decay)


def image_to_image_config(args, data):
    """Constructor arguments of `add_image_to_image`'s flags, for `data` (a zoo.data.pairing.Paired split)."""
    return {
        "input_shape": data.input_shape,
        "width": args.width,
        "l1_weight": args.l1_weight,
        "adversarial_weight": args.adversarial_weight,
        "feature_weight": args.feature_weight,
        "loss": args.loss,
        "ema_decay": args.ema_decay,
        "seed": args.seed,
    }


def gan_recipe(args):
    """Constructor arguments of the GAN recipe flags."""
    return {
        "ema_decay": args.ema_decay,
        "augment": args.augment,
        "augment_target": args.augment_adaptive,
        "r1_gamma": args.r1_gamma,
    }


def parser(model, description, epochs, batch_size, lr, name, dataset=None):
    p = cli_parser(prog=f"python -m train.{model}", description=description)
    images = dataset is None
    default, help_text = dataset or (
        "mnist5k",
        f"offline dataset ({', '.join(offline_datasets())}), folder:DIR (your images: class "
        "folders, PNG/JPEG/BMP/GIF) or tfds:<name> (e.g. tfds:cifar10, prepared or downloadable)",
    )
    p.add_argument("--dataset", default=default, help=help_text)
    if images:
        p.add_argument(
            "--image-size",
            type=positive_int,
            default=None,
            metavar="N",
            help="folder data: resize every image to NxN (default: keep the size, which all images must share)",
        )
        p.add_argument(
            "--test-fraction",
            type=fraction,
            default=0.2,
            help="folder data without a test/ part: share of each class held out for testing (chosen with seed 0)",
        )
        run_setting(
            p.add_argument(
                "--in-memory",
                action="store_true",
                help="folder/TFDS data: decode every training image once into memory instead of streaming (small sets)",
            )
        )
    else:
        p.add_argument(
            "--validation-fraction",
            type=zero_to_one,
            default=0.0,
            help="hold out this last share of the training examples (the end of the training text or series) as a "
            "validation slice, scored after every epoch as val_loss; 0 = none",
        )
        p.add_argument(
            "--patience",
            type=positive_int,
            default=None,
            metavar="N",
            help="early stopping: stop when val_loss has not improved for N epochs and keep the weights of the best "
            "epoch (needs --validation-fraction)",
        )
    p.add_argument(
        "--steps-per-epoch",
        type=positive_int,
        default=None,
        metavar="N",
        help="cut every epoch to its first N batches (quick runs, benchmarks); default: the whole split",
    )
    p.add_argument(
        "--feature-network",
        default=None,
        metavar="NET",
        help="GANs: classifier (entry or run folder) whose features the collapse monitor (and an image-to-image "
        "model's --feature-weight loss) uses (default: classifier-mnist for digit data, else data-free signals only)",
    )
    run_setting(
        p.add_argument(
            "--epochs", type=positive_int, default=epochs, help="total epochs (with --resume: the total to reach)"
        )
    )
    p.add_argument("--batch-size", type=positive_int, default=batch_size, help="global batch size")
    p.add_argument("--lr", type=positive_float, default=lr, help="learning rate of every optimizer")
    p.add_argument("--seed", type=seed, default=0, help="seeds weights, data order and noise")
    run_setting(
        p.add_argument("--out", default=f"runs/{model}", help="output folder (refuses to overwrite another run)")
    )
    run_setting(
        p.add_argument("--resume", action="store_true", help="continue the run in --out from its last checkpoint")
    )
    name_flag = p.add_argument(
        "--name",
        default=None,
        help=f"name of the trained entry, in card.json and export file names (default: "
        f"{name.format(data='<dataset>', pairing='<pairing>', cell='<cell>')})",
    )
    p.add_argument(
        "--limit", type=positive_int, default=None, help="use only the first N training examples (quick runs)"
    )
    run_setting(name_flag)
    run_setting(
        p.add_argument(
            "--jit",
            choices=["auto", "on", "off"],
            default="auto",
            help="compile train_step with XLA: auto measures which is faster on this CPU once per model and "
            "caches it (runs under 1,000 steps use XLA unless measured before)",
        )
    )
    run_setting(p.add_argument("--no-jit", dest="jit", action="store_const", const="off", help="the same as --jit off"))
    run_setting(
        p.add_argument(
            "--no-export", dest="export", action="store_false", help="skip the SavedModel/ONNX/LiteRT export"
        )
    )
    run_setting(p.add_argument("--quiet", action="store_true", help="no progress bar"))
    strategy = p.add_argument(
        "--strategy",
        choices=["none", "mirrored", "multiworker"],
        default="none",
        help="tf.distribute: mirrored = every local GPU; multiworker = the hosts in TF_CONFIG (run one process "
        "per host)",
    )
    precision = p.add_argument(
        "--mixed-precision",
        nargs="?",
        const="auto",
        default=None,
        choices=["auto", "bfloat16", "float16"],
        help="compute in 16 bits, keep float32 weights (auto: float16 with loss scaling on a GPU, bfloat16 on CPU); "
        "the saved and exported model is float32",
    )
    pretrained = p.add_argument(
        "--from-pretrained",
        metavar="NAME",
        default=None,
        help="start from these weights: a zoo entry of the same architecture, a run folder or a checkpoint folder",
    )
    for action in (strategy, precision, pretrained):  # hardware; a resumed run's weights come from its checkpoint
        run_setting(action)
    p.add_argument(
        "--freeze",
        metavar="PART",
        action="append",
        default=[],
        help="keep this part's weights fixed, e.g. encoder, generator, mapping (repeatable)",
    )
    return p


#: the setting a run saved before its flag existed had: the discriminator trained at --lr before
#: --lr-d; the generator had no batch norm before --batch-norm
BEFORE_THE_FLAG = {"lr_d": lambda before: before.get("lr"), "batch_norm": lambda before: False}


def resolve_flags(args):
    """Defaults that depend on other flags, written into `args` (so the run's meta, the card and the
    resume check hold the value used): --lr-d = the trainer's factor x --lr."""
    if "lr_d" in vars(args) and args.lr_d is None:
        args.lr_d = args.lr * args.d_lr_factor
    return args


def explicit_flags(p, argv):
    """The dests of the flags `argv` sets itself (not left at their defaults)."""
    defaults = {action: action.default for action in p._actions}
    try:
        for action in defaults:
            action.default = argparse.SUPPRESS
        return set(vars(p.parse_args(argv)))
    finally:
        for action, default in defaults.items():
            action.default = default


def adopt_architecture(args, explicit, rules):
    """--from-pretrained NAME builds the model NAME was built as: each setting its flag declares an
    `architecture` flag, that NAME's config has and the command line leaves unset, is taken from it
    (keras-hub's from_preset). Returns the settings taken, as flags, for the one line that says so."""
    from zoo import registry

    config = registry.source_config(args.from_pretrained)
    taken = []
    for key in rules.adopted:
        if vars(args).get(key) is None or key in explicit:
            continue
        if key in config or isinstance(vars(args)[key], bool):  # a switch missing from a config is off
            value = config.get(key, False)
            if isinstance(value, list):  # JSON keeps tuples as lists
                value = tuple(value)
            if value != vars(args)[key]:
                setattr(args, key, value)
                flag = "--" + key.replace("_", "-")
                shown = ",".join(map(str, value)) if isinstance(value, tuple) else value
                taken.append(_setting(flag, shown, key) or f"{flag} {shown}")
    return taken


def check_resume(before, args, out, may_change=None, recipe=None):
    """A resumed run must continue the same recipe: the settings that shape its data and steps
    cannot change between sessions; only the `run_setting` flags (`may_change`, by default the
    shared parser's: --epochs, output, reporting, hardware) can. A folder named by another path
    (`folder:./x`, `folder:../x`, the absolute path) is the same dataset when it resolves to the
    folder the run's data `recipe` records."""
    may_change = SHARED_RULES.may_change if may_change is None else may_change
    now_args = vars(args)
    for key in sorted(now_args):  # a setting the run recorded that no flag sets any more is not compared
        if key in may_change or _same_folder(key, now_args.get(key), recipe):
            continue
        if key in before:
            then = before[key]
        elif key in BEFORE_THE_FLAG and key in now_args:
            then = BEFORE_THE_FLAG[key](before)
        else:  # a flag newer than the run: it ran with that flag's default
            continue
        if _as_saved(then) != _as_saved(now_args.get(key)):
            flag = "--" + key.replace("_", "-")
            now, then = _setting(flag, now_args.get(key), key), _setting(flag, then, key)
            now = f"with {now}" if now else f"without {flag}"
            raise UsageError(f"--resume {now}, but the run in {out} used {then or f'no {flag}'}")


def _same_folder(key, value, recipe):
    """True when `value` (a --dataset or --dataset-b) is `folder:PATH` resolving to the folder the run's
    recipe recorded for that flag (an unpaired run records domain A and domain B apart)."""
    scheme = str(value).partition(":")[0]
    if scheme in ("csv", "npz", "text") and key == "dataset" and recipe and recipe.get("path"):
        return Path(str(value)[len(scheme) + 1 :]).expanduser().resolve() == Path(recipe["path"])
    if not recipe or key not in ("dataset", "dataset_b") or not str(value).startswith("folder:"):
        return False
    if recipe.get("kind") == "unpaired":
        recipe = recipe["a" if key == "dataset" else "b"]
    elif key == "dataset_b":
        return False
    recorded = recipe.get("path") or recipe.get("dataset", "")[len("folder:") :]
    path = Path(str(value)[len("folder:") :]).expanduser()
    return bool(recorded) and path.resolve() == Path(recorded)


def _as_saved(value):
    """A setting as the checkpoint's JSON record holds it (tuples become lists)."""
    return json.loads(json.dumps(value, default=str))


#: on/off flags that have a --no-FLAG form (argparse.BooleanOptionalAction)
NEGATABLE = ("batch_norm",)


def _setting(flag, value, key=None):
    """How a flag's value reads on a command line: None when absent or off (--no-FLAG where it has one)."""
    if value is False and key in NEGATABLE:
        return "--no-" + flag[2:]
    return None if value is None or value is False else flag if value is True else f"{flag} {value}"


#: the rules of the flags every trainer shares
SHARED_RULES = FlagRules.of(parser("model", "", 1, 1, 1e-3, "model-{data}"))
