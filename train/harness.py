"""The one training harness behind every `python -m train.<model>`.

A trainer module declares what differs about its model in a `Trainer` spec (its flags, how to build
it from the flags and the data, its data and defaults) and runs `spec.main`. Everything else is
here and in the modules beside it:

  train.flags    the shared flags, the flag groups some trainers add, and each flag's rules
                 (may `--resume` change it; does `--from-pretrained` take it)
  train.rundir   the run folder: checked and locked before any work, written whole or not at all
  this module    the command (`Trainer.main`) and the run itself, as stages that read as a list:
                 data -> model -> folder -> restore -> fit -> finalize -> export
"""

from __future__ import annotations

import json
import os
import platform
import signal
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from train.flags import (  # noqa: F401  (what trainer modules use, as harness.NAME)
    FlagRules,
    UsageError,
    add_ema_decay,
    add_gan_recipe,
    add_image_to_image,
    add_normalisation,
    adopt_architecture,
    architecture,
    augment_flag,
    check_resume,
    dropout_rate,
    explicit_flags,
    fraction,
    gan_recipe,
    image_to_image_config,
    non_negative_float,
    parser,
    pixel_shift,
    positive_float,
    positive_int,
    probability,
    quantile_levels,
    resolve_flags,
    run_setting,
    semitones,
    zero_to_one,
)
from train.rundir import (
    check_resume_early,
    code_revision,
    command_line,
    prepare_out,
    save_weights,
    tf_version,
    write_json,  # noqa: F401
)
from zoo import checkpoint, checks
from zoo.data import check_dataset, load_images, scale_images, training_batches
from zoo.errors import ZooError


class Terminated(KeyboardInterrupt):
    """SIGTERM reached a training run: it stops as on Ctrl-C."""


def _terminate(signum, frame):
    raise Terminated()


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


def default_data(args, split):
    data = load_images(args.dataset, split, image_size=args.image_size, test_fraction=args.test_fraction)
    return data.in_memory() if args.in_memory and split == "train" else data


@dataclass(frozen=True)
class Trainer:
    """What differs about training one model; `python -m train.<model>` runs `main`.

    build(args, data) -> model          the model for the training data (refuses what needs the data)
    add_arguments(parser)               the trainer's own flags (declare `architecture` flags)
    load_data(args, split) -> data      an ImageData, an Unpaired pair, a Paired split or an ArraySet
    check(args)                         refuses flag combinations (UsageError) before TensorFlow loads
    """

    model: str  # python -m train.<model>; runs/<model>
    doc: str  # the module docstring: its first line is the --help description
    build: Callable
    add_arguments: Optional[Callable] = None
    epochs: int = 10
    batch_size: int = 64
    lr: float = 2e-4
    name: Optional[str] = None  # the entry name template, with {data} (and {pairing}); default <model>-{data}
    load_data: Callable = default_data
    dataset: Optional[tuple] = None  # (default, help) for trainers whose data are not images
    check: Optional[Callable] = None

    def parser(self):
        template = self.name or self.model + "-{data}"
        description = self.doc.strip().splitlines()[0]
        p = parser(self.model, description, self.epochs, self.batch_size, self.lr, template, self.dataset)
        if self.add_arguments:
            self.add_arguments(p)
        return p

    def main(self, argv=None):
        """Parse flags, train, report. Errors print one line on stderr and exit with status 2 (bad
        input) or 1 (training diverged); Ctrl-C and SIGTERM stop with the last checkpoint intact."""
        argv = list(sys.argv[1:] if argv is None else argv)
        p = self.parser()
        rules = FlagRules.of(p)
        args = resolve_flags(p.parse_args(argv))
        if vars(args).get("patience") and not vars(args).get("validation_fraction"):
            p.error("--patience stops on the validation loss: pass --validation-fraction too (e.g. 0.1)")
        if args.freeze and not args.from_pretrained and not args.resume:
            p.error(
                f"--freeze {' --freeze '.join(args.freeze)} would keep randomly initialised weights fixed: "
                "give --from-pretrained NAME to start from trained ones"
            )
        try:  # what can be checked without TensorFlow is checked first (it takes ~9 s to load)
            if self.dataset is None:  # image trainers: --dataset names an image source
                for flag in ("dataset", "dataset_b"):
                    if vars(args).get(flag):
                        check_dataset(vars(args)[flag])
            checks.output_folder(args.out)
        except ZooError as exc:
            p.error(str(exc))
        args.name_template = self.name or self.model + "-{data}"
        # `kill` and job schedulers stop a run with SIGTERM: it ends like Ctrl-C (the checkpoint is only
        # ever replaced whole), with its own line and the shell's status 128 + 15.
        main_thread = threading.current_thread() is threading.main_thread()
        before = signal.signal(signal.SIGTERM, _terminate) if main_thread else None
        # A job a non-interactive shell starts in the background has SIGINT ignored; `kill -INT PID`
        # must still stop it as Ctrl-C does.
        before_int = signal.signal(signal.SIGINT, signal.default_int_handler) if main_thread else None
        if main_thread and hasattr(signal, "SIGUSR1"):
            import faulthandler

            faulthandler.register(signal.SIGUSR1, all_threads=True)  # `kill -USR1 PID`: where a run is, on stderr
        try:
            if args.from_pretrained:
                taken = adopt_architecture(args, explicit_flags(p, argv), rules)
                if taken:
                    print(f"--from-pretrained {args.from_pretrained}: its architecture, {' '.join(taken)}")
            if self.check is not None:
                self.check(args)
            check_resume_early(args, rules)
            _, card = train(self, args, argv, rules)
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
                signal.signal(signal.SIGINT, before_int)
        exported = ", export/" if args.export else ""
        print(f"done: {args.out} (weights, card.json, samples/, tensorboard/, log.csv{exported})")
        return card


def train(spec, args, argv, rules=None):
    """Run one training job of `spec` (a Trainer) described by parsed `args`: the stages of `Run`,
    in order. Returns (model, card)."""
    import contextlib

    import zoo._tensorflow  # noqa: F401  (only now: --help and flag errors answer without TensorFlow)

    strategy = make_strategy(args.strategy)  # first: MultiWorkerMirroredStrategy must exist before other TF ops
    with strategy.scope() if strategy else contextlib.nullcontext():
        run = Run(spec, args, argv, rules or FlagRules.of(spec.parser()), strategy)
        for stage in Run.STAGES:
            getattr(run, stage)()
        return run.model, run.card


class Run:
    """One training job as stages, each reading what the ones before it left on the run. Nothing is
    written before `folder`: a bad flag or data that cannot train leave no folder behind."""

    STAGES = ("data", "build", "folder", "restore", "fit", "finalize", "export")

    def __init__(self, spec, args, argv, rules, strategy):
        self.spec, self.args, self.argv, self.rules, self.strategy = spec, args, argv, rules, strategy
        self.validation = self.previous = self.started_from = self.stopper = self.card = None
        self.initial_epoch = 0

    def data(self):
        """The training split (and a validation tail), checked against the batch size."""
        args, strategy = self.args, self.strategy
        if strategy is not None:
            args.jit = "off"  # XLA-compiled steps with cross-replica collectives are not supported on every device
            if args.batch_size % strategy.num_replicas_in_sync:
                raise UsageError(
                    f"--batch-size {args.batch_size} must be a multiple of the {strategy.num_replicas_in_sync} replicas"
                )
        self.train_data = self.spec.load_data(args, "train")
        self.test_data = self.spec.load_data(args, "test")  # its figures come after training: refuse now
        if len(self.test_data) == 0:
            raise UsageError(
                f"the test split of {args.dataset} is empty ({len(self.train_data)} training examples): the run could "
                f"not be scored; a class needs at least 2 images so that one can be held out"
            )
        if vars(args).get("validation_fraction"):
            self.train_data, self.validation = self.train_data.split_off_tail(args.validation_fraction)
        usable = min(len(self.train_data), args.limit or len(self.train_data))
        if usable < args.batch_size:
            raise UsageError(f"--batch-size {args.batch_size} is larger than the {usable} training examples")
        slug = dataset_slug(self.train_data.name)
        template, pairing = args.name_template, vars(args).get("pairing")
        if pairing == "pairs":  # real pairs: the data are the pairs, the name says it once (pix2pix-facades)
            template = template.replace("-{pairing}", "")
        args.name = args.name or template.format(data=slug, pairing=pairing, cell=vars(args).get("cell"))

    def build(self):
        """The model, its data recipe, and the weights it starts from (--from-pretrained, --freeze)."""
        from zoo import transfer

        args = self.args
        self.xla = self.choose_xla()  # before the run's model: build_model re-seeds, so the measurement leaves no trace
        self.model, self.policy = build_model(self.spec.build, args, self.train_data)
        recipe = run_recipe(self.train_data, args)
        if self.validation is not None:
            recipe["validation"] = {
                "fraction": args.validation_fraction,
                "examples": len(self.validation),
                "part": self.train_data.validation_part,
            }
        self.model.attach_recipe(recipe)
        if args.from_pretrained and not args.resume:  # a resumed run's weights come from its checkpoint
            self.started_from = transfer.copy_weights(transfer.load_source(args.from_pretrained), self.model)
        transfer.freeze(self.model, args.freeze)

    def folder(self):
        """The run folder, locked; the state to resume from, checked against these flags; compile."""
        args = self.args
        self.out = prepare_out(args.out, args.resume)
        self.ckpt = self.out / "checkpoint.npz"
        self.previous = checkpoint.read_meta(self.ckpt) if args.resume else None
        if self.previous:
            check_resume(
                self.previous.get("args", {}), args, self.out, self.rules.may_change, self.previous.get("dataset")
            )
            self.started_from = self.previous.get("started_from")
        self.model.compile(jit_compile=self.xla, **compile_arguments(args))
        if self.policy == "mixed_float16":  # float16 gradients underflow without loss scaling
            from zoo.training import scale_losses

            scale_losses(self.model)

    def choose_xla(self):
        """--jit: train/jit.py's `for_run` (auto: measured on fresh copies of the model)."""
        from train import jit

        args, data = self.args, self.train_data
        make = lambda: build_model(self.spec.build, args, data)  # noqa: E731
        return jit.for_run(args, make, lambda model: _batches(model, data, args, 0), compile_arguments(args))

    def restore(self):
        """The checkpoint's weights, optimizer slots and epoch (or the data statistics of a new run),
        and the record the checkpoint carries forward."""
        args, previous = self.args, self.previous
        commands = [command_line(self.spec.model, self.argv)]
        self.meta = {
            "args": vars(args),
            "replicas": self.strategy.num_replicas_in_sync if self.strategy else 1,
            "dataset": self.model.recipe,
            "started_from": self.started_from,
            "frozen": list(args.freeze),
            "xla": self.xla,
        }
        if previous:
            restored = checkpoint.restore(self.ckpt, self.model)
            self.initial_epoch = restored["epoch"]
            commands = restored.get("commands", []) + commands
            self.meta["history"] = restored.get("history", [])
            if restored.get("early_stopping"):
                self.meta["early_stopping"] = restored["early_stopping"]
            if args.epochs <= self.initial_epoch:
                done = f"{self.initial_epoch} epoch{'s' if self.initial_epoch != 1 else ''}"
                raise UsageError(
                    f"the run in {self.out} already completed {done}; pass --epochs > {self.initial_epoch} to continue"
                )
        else:
            self.model.adapt(self.train_data)  # statistics of the training data (a resumed run restores them)
        self.meta["commands"] = commands
        # The code that trains is the code at the start (a resumed run records each session's).
        self.meta["code_revisions"] = (previous.get("code_revisions", []) if previous else []) + [code_revision()]

    def fit(self):
        """`model.fit` over the epoch-keyed batches, with the shared callbacks."""
        args, model = self.args, self.model
        batches, steps = _batches(model, self.train_data, args, self.initial_epoch)
        self.callbacks = _callbacks(model, self.out, self.ckpt, args, self.train_data, self.meta)
        if self.validation is not None:
            self.stopper = _early_stopping(self.validation, self.callbacks[-1].meta, self.out, args)
            self.callbacks.insert(2, self.stopper)  # before the logs and the checkpoint, which record what it adds
        if self.strategy is not None and self.strategy.extended._in_multi_worker_mode():
            _reduce_logs_as_vectors(model)
            batches = _split_across_workers(self.strategy, batches, args.batch_size)
        started = time.time()
        model.fit(
            batches,
            epochs=args.epochs,
            initial_epoch=self.initial_epoch,
            steps_per_epoch=steps,
            callbacks=self.callbacks,
            verbose=0 if args.quiet else 1,
            shuffle=False,
        )
        self.seconds = time.time() - started
        if self.stopper is not None:
            self.stopper.restore_best(model)  # the weights saved, measured and exported: the best validation epoch
        if self.policy != "float32":  # what is saved, measured and exported: the same weights in a float32 model
            from zoo.training import float32_twin

            self.model = float32_twin(model)

    def finalize(self):
        """Held-out calibration and figures, the weights and the card."""
        from zoo.registry import sha256

        args, model = self.args, self.model
        test_set = self.test_data
        model.calibrate_on(test_set)  # e.g. an anomaly threshold: part of the saved weights
        weights = self.out / "model.weights.h5"
        save_weights(model, weights)
        history = self.callbacks[-1].meta["history"]
        self.card = {
            "name": args.name,
            "architecture": model.architecture,
            "config": model.get_config(),
            "data": model.recipe,
            "weights": {"file": weights.name, "sha256": sha256(weights)},
            "training": {
                "commands": self.meta["commands"],
                "seed": args.seed,
                "epochs": args.epochs,
                "batch_size": args.batch_size,
                "learning_rate": args.lr,
                **({"discriminator_learning_rate": args.lr_d} if vars(args).get("lr_d") else {}),
                "final_epoch_logs": history[-1] if history else {},
                "history": history,
                "seconds_last_session": round(self.seconds, 1),
                "machine": f"{platform.machine()} {os.cpu_count()} cores, TensorFlow {tf_version()}",
                "code_revisions": self.meta["code_revisions"],
                "started_from": self.started_from,
                "frozen": list(args.freeze),
                "strategy": args.strategy,
                "precision": self.policy,
                "xla": self.xla,
                "replicas": self.meta["replicas"],
                **({"early_stopping": self.stopper.meta["early_stopping"]} if self.stopper is not None else {}),
            },
            "metrics": model.held_out_metrics(test_set),
        }
        write_json(self.out / "card.json", self.card)

    def export(self):
        """The verified SavedModel / ONNX / LiteRT files (unless --no-export)."""
        if not self.args.export:
            return
        from export import export_model

        name, folder = self.args.name, self.out / "export"
        print(f"exporting {name} to {folder} ...", flush=True)
        progress = None if self.args.quiet else lambda text: print(f"... {text}", flush=True)
        export_model(self.model, folder, name, progress=progress)


def _early_stopping(validation, meta, out, args):
    """The validation scorer of --validation-fraction / --patience; it records its state in the
    checkpoint's meta, so a resumed run continues the same count (and a finished one is refused)."""
    from train.callbacks import ValidationScore

    stopper = ValidationScore(validation, meta, out / "best.weights.h5", vars(args).get("patience"))
    if stopper.stopped_epoch:
        raise UsageError(
            f"the run in {out} stopped early at epoch {stopper.stopped_epoch} (val_loss best at epoch "
            f"{stopper.best_epoch}, no better for --patience {args.patience} epochs): it is finished"
        )
    return stopper


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
        csv = part.startswith(("csv:", "npz:", "text:"))
        part = part.lower() if part.startswith("aeon:") else part  # aeon:GunPoint -> gunpoint
        part = part.rstrip("/").rsplit("/", 1)[-1].split(":")[-1]
        part = part.rsplit(".", 1)[0] if csv and "." in part else part  # csv:x/weather.csv -> weather
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


def compile_arguments(args):
    """`model.compile` arguments from the flags: the learning rate, and the GAN trainers' --lr-d."""
    rates = {"d_learning_rate": args.lr_d} if vars(args).get("lr_d") else {}
    return {"learning_rate": args.lr, **rates}


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
