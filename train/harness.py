"""The one training harness behind every `python -m train.<model>`.

A trainer module declares what differs about its model (extra flags, how to build it from the
flags and the data) and calls `main`. Everything else is here: the shared flags, the output folder
and its checks, seeding, data, `model.fit` with the shared callbacks, resume, the final weights
and card, and the verified export.

Output folder (--out):
  checkpoint.npz          full state after the last completed epoch (what --resume reads)
  samples/epoch_NNN.png   fixed-seed sample grid per epoch
  tensorboard/            scalars (losses per epoch) and the sample images
  log.csv                 one row per epoch
  model.weights.h5        final weights;   card.json   how they were made
  export/                 SavedModel (TF Serving layout), ONNX, LiteRT, parity report
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import signal
import sys
import threading
import time
from pathlib import Path

from zoo import checkpoint
from zoo.checks import (  # noqa: F401
    augment_flag,
    dropout_rate,
    fraction,
    non_negative_float,
    positive_float,
    positive_int,
    quantile_levels,
    zero_to_one,
)
from zoo.checks import seed_flag as seed
from zoo.data import available as offline_datasets
from zoo.data import load_images, scale_images, training_batches
from zoo.errors import ZooError, cli_parser


class UsageError(ZooError):
    """A flag combination or output folder that cannot be used."""


class Terminated(KeyboardInterrupt):
    """SIGTERM reached a training run: it stops as on Ctrl-C."""


def _terminate(signum, frame):
    raise Terminated()


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
    p.add_argument(
        "--batch-norm",
        action=argparse.BooleanOptionalAction,
        default=batch_norm,
        help="batch normalisation of the generator's hidden layers (the DCGAN paper's generator); "
        + ("default on (--no-batch-norm: off)" if batch_norm else "default off"),
    )


def add_image_to_image(p, ema_decay=0.999):
    """Flags of the paired image-to-image GANs (zoo.gan.image_to_image): loss weights and the EMA."""
    from zoo.choices import LOSSES

    p.add_argument("--width", type=positive_int, default=32, help="generator base filters")
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


def attach_feature_loss(model, args, data):
    """The feature network of `--feature-weight`: a zoo classifier's convolutional body (not saved with
    the model; a resumed run loads it again)."""
    if not args.feature_weight:
        return model
    from zoo.evaluation import features

    judge = features.load_classifier(args.feature_network or "classifier-mnist", data.image_shape)
    if judge.crop:
        raise UsageError(f"--feature-network {judge.name} takes {judge.crop[0]}x{judge.crop[1]} images, not these")
    model.use_feature_network(judge.classifier.body)
    return model


def load_paired_data(args, split):
    """The paired split of --dataset under the trainer's pairing (`args.pairing`); streamed sets are
    decoded into memory (pairs are gathered by index)."""
    from zoo.data.pairing import Paired, load_paired

    data = load_paired(args.dataset, args.pairing, split, image_size=args.image_size, test_fraction=args.test_fraction)
    if data.sources is None and (not data.targets.random_access or args.in_memory and split == "train"):
        data = Paired(data.targets.in_memory(), data.pairing)
    return data


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
        p.add_argument(
            "--in-memory",
            action="store_true",
            help="folder/TFDS data: decode every training image once into memory instead of streaming (small sets)",
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
    p.add_argument(
        "--epochs", type=positive_int, default=epochs, help="total epochs (with --resume: the total to reach)"
    )
    p.add_argument("--batch-size", type=positive_int, default=batch_size, help="global batch size")
    p.add_argument("--lr", type=positive_float, default=lr, help="learning rate of every optimizer")
    p.add_argument("--seed", type=seed, default=0, help="seeds weights, data order and noise")
    p.add_argument("--out", default=f"runs/{model}", help="output folder (refuses to overwrite another run)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its last checkpoint")
    p.add_argument(
        "--name",
        default=None,
        help=f"name of the trained entry, in card.json and export file names (default: "
        f"{name.format(data='<dataset>', pairing='<pairing>')})",
    )
    p.add_argument(
        "--limit", type=positive_int, default=None, help="use only the first N training examples (quick runs)"
    )
    p.add_argument("--no-jit", dest="jit", action="store_false", help="run train_step without XLA compilation")
    p.add_argument("--no-export", dest="export", action="store_false", help="skip the SavedModel/ONNX/LiteRT export")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--strategy",
        choices=["none", "mirrored", "multiworker"],
        default="none",
        help="tf.distribute: mirrored = every local GPU; multiworker = the hosts in TF_CONFIG (run one process "
        "per host)",
    )
    p.add_argument(
        "--mixed-precision",
        nargs="?",
        const="auto",
        default=None,
        choices=["auto", "bfloat16", "float16"],
        help="compute in 16 bits, keep float32 weights (auto: float16 with loss scaling on a GPU, bfloat16 on CPU); "
        "the saved and exported model is float32",
    )
    p.add_argument(
        "--from-pretrained",
        metavar="NAME",
        default=None,
        help="start from these weights: a zoo entry of the same architecture, a run folder or a checkpoint folder",
    )
    p.add_argument(
        "--freeze",
        metavar="PART",
        action="append",
        default=[],
        help="keep this part's weights fixed, e.g. encoder, generator, mapping (repeatable)",
    )
    return p


_LOCKS = []  # open lock files of the runs this process is writing (held until it exits)


def prepare_out(out, resume):
    """Check the output folder before any work: writable, not being written by another process
    (an exclusive lock on OUT/.lock, held until this process ends), and never clobbering a run."""
    import fcntl

    out = Path(out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} is a file, not a folder")
    if resume:
        resumable(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        lock = open(out / ".lock", "a+")
    except OSError as exc:
        raise UsageError(f"cannot write to --out {out}: {exc.strerror or exc}") from None
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        lock.close()
        raise UsageError(f"another training process is writing to {out}; wait for it or choose another --out") from None
    _LOCKS.append(lock)
    if not resume:
        existing = [f for f in ("checkpoint.npz", "card.json", "model.weights.h5") if (out / f).exists()]
        if existing:
            raise UsageError(
                f"{out} already holds a run ({', '.join(existing)}); pass --resume to continue it, or choose "
                f"another --out"
            )
    return out


def command_line(model, argv):
    return " ".join(["python", "-m", f"train.{model}", *map(shlex.quote, argv)])


def write_json(path, record):
    tmp = Path(f"{path}.tmp{os.getpid()}")
    tmp.write_text(json.dumps(record, indent=2) + "\n")
    os.replace(tmp, path)


def default_data(args, split):
    data = load_images(args.dataset, split, image_size=args.image_size, test_fraction=args.test_fraction)
    return data.in_memory() if args.in_memory and split == "train" else data


def train(model_name, args, build, argv, load_data=default_data):
    """Run one training job described by parsed `args`; `build(args, data)` makes the model for the
    training data `load_data(args, "train")` (an ImageData, an Unpaired pair, or an ArraySet)."""
    import contextlib

    import zoo._tensorflow  # noqa: F401  (only now: --help and flag errors answer without TensorFlow)

    strategy = make_strategy(args.strategy)  # first: MultiWorkerMirroredStrategy must exist before other TF ops
    with strategy.scope() if strategy else contextlib.nullcontext():
        return _train(model_name, args, build, argv, load_data, strategy)


def mixed_precision_policy(choice):
    """The Keras dtype policy for --mixed-precision `choice` (None: float32; auto: mixed_float16
    where a GPU is visible, mixed_bfloat16 on CPUs)."""
    if choice is None:
        return "float32"
    if choice == "auto":
        import tensorflow as tf

        choice = "float16" if tf.config.list_physical_devices("GPU") else "bfloat16"
    return f"mixed_{choice}"


def make_strategy(name):
    """None, or the tf.distribute strategy `name` ("mirrored": the local devices; "multiworker":
    the cluster that TF_CONFIG describes, this process being one of its workers)."""
    if name in (None, "none"):
        return None
    import tensorflow as tf

    if name == "multiworker":
        if "TF_CONFIG" not in os.environ:
            raise UsageError(
                "--strategy multiworker needs TF_CONFIG (the cluster and this worker's index) in the environment"
            )
        try:
            json.loads(os.environ["TF_CONFIG"])
        except json.JSONDecodeError as exc:
            raise UsageError(f"TF_CONFIG is not valid JSON ({exc})") from None
        return tf.distribute.MultiWorkerMirroredStrategy()
    return tf.distribute.MirroredStrategy()


def dataset_slug(name):
    """The short data name in a run's default entry name: mnist5k -> mnist, folder:/x/shapes ->
    shapes, tfds:cifar10 -> cifar10, mnist5k+digits -> mnist-digits."""
    parts = []
    for part in str(name).split("+"):
        part = part.rstrip("/").rsplit("/", 1)[-1].split(":")[-1]
        part = {"mnist5k": "mnist", "mnist5k-32": "mnist"}.get(part, part)
        parts.append("".join(c if c.isalnum() or c in "-_." else "-" for c in part).strip("-") or "data")
    return "-".join(parts)


def run_recipe(data, args):
    """The data recipe stored in the card: what the data is, plus how this run used it."""
    recipe = data.recipe()
    recipe.update(seed=args.seed, limit=args.limit)
    held_out = vars(args).get("holdout_class")
    if held_out is not None:
        recipe["held_out_class"] = held_out
    lengths = [len(data.a), len(data.b)] if recipe.get("kind") == "unpaired" else len(data)
    recipe["examples"] = {"train": lengths if args.limit is None else min(len(data), args.limit)}
    return recipe


def build_model(build, args, data):
    """The model `build(args, data)` makes, seeded and in the precision policy as every trainer builds it."""
    import keras

    keras.utils.set_random_seed(args.seed)
    policy = mixed_precision_policy(args.mixed_precision)
    keras.mixed_precision.set_global_policy(policy)
    try:
        model = build(args, data)  # before touching --out: a bad flag combination leaves no folder
    finally:
        keras.mixed_precision.set_global_policy("float32")  # only the model being trained computes in 16 bits
    if policy != "float32":
        from zoo.training import float32_outputs

        float32_outputs(model)
    return model, policy


def _batches(model, data, args, initial_epoch):
    if model.data_kind in ("arrays", "paired"):  # sequences, arrays and pairs bring their own (epoch-keyed) pipeline
        return data.batches(
            args.batch_size, args.seed, initial_epoch, args.epochs, limit=args.limit, max_steps=args.steps_per_epoch
        )
    return training_batches(
        data,
        args.batch_size,
        args.seed,
        initial_epoch,
        args.epochs,
        labels=model.uses_labels,
        limit=args.limit,
        max_steps=args.steps_per_epoch,
    )


def _callbacks(model, out, ckpt, args, data, meta):
    import keras

    from train.callbacks import (
        CollapseMonitor,
        EpochLog,
        FullStateCheckpoint,
        LearningRateByEpoch,
        NonFiniteGuard,
        SampleGrid,
    )
    from zoo.evaluation import features

    monitor = None
    if model.data_kind == "paired":
        # Image-to-image: outputs are tied to their inputs, so the sample-diversity alarms do not apply
        # (photo patches of sky are near-duplicates by nature); the pinned-discriminator alarm does.
        monitor = CollapseMonitor(None)
    elif {"samples", "translation"} & set(model.evaluation):
        reals = (
            tuple(scale_images(d.first(256)) for d in (data.a, data.b))
            if model.data_kind == "unpaired"
            else scale_images(data.first(256))
        )
        judge = features.for_monitor(model.recipe, args.feature_network)
        monitor = CollapseMonitor(reals, judge=judge, class_names=model.class_names)
    return [
        NonFiniteGuard(),
        LearningRateByEpoch(args.epochs),
        SampleGrid(str(out / "samples"), log_dir=str(out / "tensorboard")),
        *([monitor] if monitor else []),
        EpochLog(str(out / "log.csv"), append=args.resume),
        keras.callbacks.TensorBoard(str(out / "tensorboard"), write_graph=False),
        FullStateCheckpoint(str(ckpt), **meta),  # last: it records what the others logged
    ]


def _train(model_name, args, build, argv, load_data, strategy):
    if strategy is not None:
        args.jit = False  # XLA-compiled steps with cross-replica collectives are not supported on every device
        if args.batch_size % strategy.num_replicas_in_sync:
            raise UsageError(
                f"--batch-size {args.batch_size} must be a multiple of the {strategy.num_replicas_in_sync} replicas"
            )
    # 1. Data and model, checked before anything is written: a bad flag leaves no folder.
    data = load_data(args, "train")
    validation = None
    if vars(args).get("validation_fraction"):
        data, validation = data.split_off_tail(args.validation_fraction)
    if min(len(data), args.limit or len(data)) < args.batch_size:
        raise UsageError(
            f"--batch-size {args.batch_size} is larger than the {min(len(data), args.limit or len(data))} "
            f"training examples"
        )
    args.name = args.name or args.name_template.format(data=dataset_slug(data.name), pairing=vars(args).get("pairing"))
    model, policy = build_model(build, args, data)
    recipe = run_recipe(data, args)
    if validation is not None:
        recipe["validation"] = {
            "fraction": args.validation_fraction,
            "examples": len(validation),
            "part": "the last examples of the training split, in order (never trained on)",
        }
    model.attach_recipe(recipe)
    started_from = None
    from zoo import transfer

    if args.from_pretrained and not args.resume:  # a resumed run's weights come from its checkpoint
        started_from = transfer.copy_weights(transfer.load_source(args.from_pretrained), model)
    transfer.freeze(model, args.freeze)

    # 2. The run folder (locked), and the state to resume from.
    out = prepare_out(args.out, args.resume)
    ckpt = out / "checkpoint.npz"
    previous = checkpoint.read_meta(ckpt) if args.resume else None
    if previous:
        check_resume(previous.get("args", {}), args, out)
        started_from = previous.get("started_from")
    rates = {"d_learning_rate": args.lr_d} if vars(args).get("lr_d") else {}  # GAN trainers' --lr-d
    model.compile(learning_rate=args.lr, jit_compile=args.jit, **rates)
    if policy == "mixed_float16":  # float16 gradients underflow without loss scaling
        from zoo.training import scale_losses

        scale_losses(model)
    initial_epoch = 0
    commands = [command_line(model_name, argv)]
    meta = {
        "args": vars(args),
        "replicas": strategy.num_replicas_in_sync if strategy else 1,
        "dataset": model.recipe,
        "started_from": started_from,
        "frozen": list(args.freeze),
    }
    if previous:
        restored = checkpoint.restore(ckpt, model)
        initial_epoch = restored["epoch"]
        commands = restored.get("commands", []) + commands
        meta["history"] = restored.get("history", [])
        if restored.get("early_stopping"):
            meta["early_stopping"] = restored["early_stopping"]
        if args.epochs <= initial_epoch:
            raise UsageError(
                f"the run in {out} already completed {initial_epoch} epochs; pass --epochs > {initial_epoch} to "
                f"continue"
            )
    else:
        model.adapt(data)  # statistics of the training data (a resumed run restores them)
    meta["commands"] = commands
    # The code that trains is the code at the start (a resumed run records each session's).
    meta["code_revisions"] = (previous.get("code_revisions", []) if previous else []) + [_code_revision()]

    # 3. Fit.
    batches, steps = _batches(model, data, args, initial_epoch)
    callbacks = _callbacks(model, out, ckpt, args, data, meta)
    if validation is not None:
        from train.callbacks import ValidationScore

        # It records its state in the checkpoint's meta, so a resumed run continues the same count.
        stopper = ValidationScore(validation, callbacks[-1].meta, out / "best.weights.h5", vars(args).get("patience"))
        if stopper.stopped_epoch:
            raise UsageError(
                f"the run in {out} stopped early at epoch {stopper.stopped_epoch} (val_loss best at epoch "
                f"{stopper.best_epoch}, no better for --patience {args.patience} epochs): it is finished"
            )
        callbacks.insert(2, stopper)  # before the logs and the checkpoint, which record what it adds
    if strategy is not None and strategy.extended._in_multi_worker_mode():
        _reduce_logs_as_vectors(model)
        batches = _split_across_workers(strategy, batches, args.batch_size)
    started = time.time()
    model.fit(
        batches,
        epochs=args.epochs,
        initial_epoch=initial_epoch,
        steps_per_epoch=steps,
        callbacks=callbacks,
        verbose=0 if args.quiet else 1,
        shuffle=False,
    )
    seconds = time.time() - started
    if validation is not None:
        stopper.restore_best(model)  # the weights saved, measured and exported: the best validation epoch
    if policy != "float32":  # what is saved, measured and exported: the same weights in a float32 model
        from zoo.training import float32_twin

        model = float32_twin(model)

    # 4. Held-out calibration and figures, weights and card, export.
    test_set = load_data(args, "test")
    model.calibrate_on(test_set)  # e.g. an anomaly threshold: part of the saved weights
    weights = out / "model.weights.h5"
    tmp = out / f"model.tmp{os.getpid()}.weights.h5"
    model.save_weights(str(tmp))
    os.replace(tmp, weights)
    from zoo.registry import sha256

    history = callbacks[-1].meta["history"]
    card = {
        "name": args.name,
        "architecture": model.architecture,
        "config": model.get_config(),
        "data": model.recipe,
        "weights": {"file": weights.name, "sha256": sha256(weights)},
        "training": {
            "commands": commands,
            "seed": args.seed,
            "epochs": args.epochs,
            "batch_size": args.batch_size,
            "learning_rate": args.lr,
            **({"discriminator_learning_rate": args.lr_d} if vars(args).get("lr_d") else {}),
            "final_epoch_logs": history[-1] if history else {},
            "history": history,
            "seconds_last_session": round(seconds, 1),
            "machine": f"{platform.machine()} {os.cpu_count()} cores, TensorFlow {_tf_version()}",
            "code_revisions": meta["code_revisions"],
            "started_from": started_from,
            "frozen": list(args.freeze),
            "strategy": args.strategy,
            "precision": policy,
            "replicas": meta["replicas"],
            **({"early_stopping": stopper.meta["early_stopping"]} if validation is not None else {}),
        },
        "metrics": model.held_out_metrics(test_set),
    }
    write_json(out / "card.json", card)
    if args.export:
        from export import export_model

        print(f"exporting {args.name} to {out / 'export'} ...", flush=True)
        export_model(
            model,
            out / "export",
            args.name,
            progress=None if args.quiet else lambda text: print(f"... {text}", flush=True),
        )
    return model, card


#: what a resumed run may change: how long it runs, where and how it reports, the hardware it runs
#: on. Every other setting (each flag a trainer adds included) shapes its data, model or steps, and
#: `--resume` refuses a change to it: a new flag is protected without being listed anywhere.
RESUME_MAY_CHANGE = (
    *("epochs", "out", "resume", "name", "name_template", "quiet", "export"),
    *("jit", "strategy", "mixed_precision", "in_memory", "from_pretrained"),
)


#: the setting a run saved before its flag existed had: the discriminator trained at --lr before
#: --lr-d; the generator had no batch norm before --batch-norm
BEFORE_THE_FLAG = {"lr_d": lambda before: before.get("lr"), "batch_norm": lambda before: False}


def resolve_flags(args):
    """Defaults that depend on other flags, written into `args` (so the run's meta, the card and the
    resume check hold the value used): --lr-d = the trainer's factor x --lr."""
    if "lr_d" in vars(args) and args.lr_d is None:
        args.lr_d = args.lr * args.d_lr_factor
    return args


#: architecture settings that have a trainer flag of the same name: `--from-pretrained` takes
#: them from its source (the flags a user passes win, and a mismatch is refused by name). A flag
#: whose default is None means "the type's own default" (the autoencoders' sizes) and is not taken.
ADOPTED = (
    *("width", "latent_dim", "batch_norm", "w_dim", "blocks", "scale", "hidden", "feature_dim"),  # images
    *("cell", "units", "depth", "attention", "embedding_dim", "context", "window", "horizon", "quantiles"),  # sequences
)


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


def adopt_architecture(args, explicit):
    """--from-pretrained NAME builds the model NAME was built as: each ADOPTED setting of its config
    that this trainer has as a flag and the command line leaves unset is taken from it (keras-hub's
    from_preset). Returns the settings taken, as flags, for the one line that says so."""
    from zoo import registry

    config = registry.source_config(args.from_pretrained)
    taken = []
    for key in ADOPTED:
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


def check_resume_early(args):
    """--resume's refusals that need only the flags and the checkpoint's record, before TensorFlow
    loads (train() checks again, under the run folder's lock)."""
    if args.resume:
        before = checkpoint.read_meta(resumable(args.out)).get("args", {})
        check_resume(before, args, Path(args.out))


def resumable(out):
    """The checkpoint `--resume` continues from in `out`; UsageError where there is none."""
    ckpt = Path(out) / "checkpoint.npz"
    if not ckpt.is_file():
        raise UsageError(f"--resume: no checkpoint in {out} (nothing to resume)")
    return ckpt


def check_resume(before, args, out):
    """A resumed run must continue the same recipe: the settings that shape its data and steps
    cannot change between sessions (only those in RESUME_MAY_CHANGE can: --epochs, output, reporting)."""
    now_args = vars(args)
    for key in sorted(now_args):  # a setting the run recorded that no flag sets any more is not compared
        if key in RESUME_MAY_CHANGE:
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


def _split_across_workers(strategy, batches, global_batch):
    """Every worker builds the same global batches (same seed, same epoch-keyed order) and keeps its
    own contiguous slice, split again among its local replicas: global replica r gets rows
    [r*b, (r+1)*b) of each batch, the rows whose noise `zoo.training.replica_draw` gives it.
    (tf.data's automatic sharding of this in-memory pipeline does not split the batches.)"""
    import tensorflow as tf

    def per_replica(context):
        per_worker = global_batch // context.num_input_pipelines
        start = context.input_pipeline_id * per_worker

        def cut(*tensors):
            return (
                tuple(t[start : start + per_worker] for t in tensors)
                if len(tensors) > 1
                else tensors[0][start : start + per_worker]
            )

        options = tf.data.Options()
        options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.OFF
        return batches.map(cut).unbatch().batch(context.get_per_replica_batch_size(global_batch)).with_options(options)

    return strategy.distribute_datasets_from_function(per_replica)


def _reduce_logs_as_vectors(model):
    """Keras 3.15 reduces multi-worker step logs with strategy.reduce("MEAN", v, axis=0), which
    fails on the scalars every train_step returns; a [1]-shaped log reduces to the same scalar."""
    import tensorflow as tf

    step = model.train_step
    model.train_step = lambda data: {k: tf.reshape(v, [1]) for k, v in step(data).items()}


def _code_revision():
    """The git commit the code was run from (+ "-dirty" with uncommitted changes), if known."""
    import subprocess

    here = Path(__file__).resolve().parents[1]
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=here,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if head.returncode != 0:
        return None
    return head.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


def _tf_version():
    import tensorflow as tf

    return tf.__version__


def main(
    model_name,
    description,
    build,
    add_arguments=None,
    argv=None,
    epochs=10,
    batch_size=64,
    lr=2e-4,
    name=None,
    load_data=default_data,
    dataset=None,
    check=None,
):
    """Parse flags, train, report. Errors print one line on stderr and exit with status 2 (bad input)
    or 1 (training diverged). `check(args)` refuses flag combinations (raising UsageError) before
    TensorFlow loads; what needs the data is refused in `build(args, data)`."""
    argv = list(sys.argv[1:] if argv is None else argv)
    template = name or model_name + "-{data}"
    p = parser(model_name, description, epochs, batch_size, lr, template, dataset)
    if add_arguments:
        add_arguments(p)
    args = resolve_flags(p.parse_args(argv))
    if vars(args).get("patience") and not vars(args).get("validation_fraction"):
        p.error("--patience stops on the validation loss: pass --validation-fraction too (e.g. 0.1)")
    args.name_template = template
    # `kill` and job schedulers stop a run with SIGTERM: it ends like Ctrl-C (the checkpoint is only
    # ever replaced whole), with its own line and the shell's status 128 + 15.
    before = (
        signal.signal(signal.SIGTERM, _terminate) if threading.current_thread() is threading.main_thread() else None
    )
    try:
        if args.from_pretrained:
            taken = adopt_architecture(args, explicit_flags(p, argv))
            if taken:
                print(f"--from-pretrained {args.from_pretrained}: its architecture, {' '.join(taken)}")
        if check is not None:
            check(args)
        check_resume_early(args)
        _, card = train(model_name, args, build, argv, load_data)
    except ZooError as exc:
        from zoo.errors import TrainingDiverged

        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1 if isinstance(exc, TrainingDiverged) else 2)
    except KeyboardInterrupt as stop:
        ckpt = Path(args.out) / "checkpoint.npz"
        done = checkpoint.read_meta(ckpt).get("epoch", 0) if ckpt.is_file() else 0
        how, status = ("terminated (SIGTERM)", 143) if isinstance(stop, Terminated) else ("interrupted", 130)
        print(f"\n{how} after epoch {done}; continue with --resume (same --out)", file=sys.stderr)
        sys.exit(status)
    finally:
        if before is not None:
            signal.signal(signal.SIGTERM, before)
    print(f"done: {args.out} (weights, card.json, samples/, tensorboard/, log.csv{', export/' if args.export else ''})")
    return card
