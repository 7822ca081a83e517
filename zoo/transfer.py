"""Start a model from pretrained weights and freeze named parts: what `--from-pretrained NAME` and
`--freeze PART` do in every trainer.

    source = transfer.load_source("dcgan-mnist")          # a zoo entry, a run folder, or a checkpoint folder
    record = transfer.copy_weights(source, model)          # same architecture; shapes checked layer by layer
    transfer.freeze(model, ["encoder"])                    # before compile: the part gets no updates
"""

from __future__ import annotations

from pathlib import Path

import zoo._tensorflow  # noqa: F401  (TensorFlow, loaded quietly)

from zoo import registry
from zoo.errors import ZooError, did_you_mean


class TransferError(ZooError):
    """Pretrained weights that do not fit the model being trained, or an unknown part to freeze."""


def parts(model):
    """{name: sub-network} of a model: the parts `--freeze` can name (generator, encoder, mapping...),
    as the model declares them (`ZooModel.part_names`)."""
    return model.parts()


def load_source(name):
    """The model to start from: a pretrained entry, a finished run folder (card.json +
    model.weights.h5) or a run folder holding only a checkpoint.npz (a run still training)."""
    folder = Path(str(name))
    if folder.is_dir() and registry.running_run(folder):
        import numpy as np

        from zoo import checkpoint

        meta = checkpoint.read_meta(folder / "checkpoint.npz")
        architecture = meta.get("architecture") or next(  # checkpoints before the record named it: by class
            (a for a, cls in registry.ARCHITECTURES.items() if cls.__name__ == meta["class"]), None
        )
        if architecture is None:
            raise TransferError(f"checkpoint in {folder} holds a {meta['class']}, which is not a zoo architecture")
        model = registry.build(architecture, meta["config"])
        arrays = np.load(folder / "checkpoint.npz", allow_pickle=False)
        stored = sorted(k for k in arrays.files if k.startswith("model/"))
        if len(stored) != len(model.variables):
            raise TransferError(
                f"checkpoint in {folder} does not match its own config ({len(stored)} vs {len(model.variables)} "
                f"variables)"
            )
        for key, variable in zip(stored, model.variables):
            variable.assign(arrays[key])
        model.card = {"name": str(folder), "source": "checkpoint", "epoch": meta.get("epoch")}
        return model
    return registry.load(name)


def copy_weights(source, model):
    """Copy every weight of `source` into `model` (same architecture). Raises TransferError naming
    the first layer whose weights do not fit; nothing is assigned unless everything fits."""
    if source.architecture != model.architecture:
        raise TransferError(
            f"cannot start a {model.architecture} from '{_name(source)}', which is a {source.architecture}"
        )
    mine, theirs = model.weights, source.weights
    for target, value in zip(mine, theirs):
        if tuple(target.shape) != tuple(value.shape):
            layer = target.path.rsplit("/", 1)[0]
            raise TransferError(
                f"layer '{layer}' does not fit: '{_name(source)}' has {target.path.rsplit('/', 1)[-1]} of shape "
                f"{tuple(value.shape)}, this model {tuple(target.shape)}{_differences(source, model)}"
            )
    if len(mine) != len(theirs):
        first = mine[len(theirs)] if len(mine) > len(theirs) else theirs[len(mine)]
        raise TransferError(
            f"layer '{first.path.rsplit('/', 1)[0]}' has no counterpart: '{_name(source)}' has {len(theirs)} "
            f"weights, this model {len(mine)}{_differences(source, model)}"
        )
    for target, value in zip(mine, theirs):
        target.assign(value)
    card = source.card or {}
    return {
        "name": _name(source),
        "weights_sha256": card.get("weights", {}).get("sha256"),
        "trained_by": (card.get("training") or {}).get("commands", [None])[0],
    }


def freeze(model, names):
    """Make the named parts non-trainable (call before compile). Unknown names raise TransferError."""
    available = parts(model)
    for name in names:
        if name not in available:
            raise TransferError(
                f"no part '{name}' to freeze{did_you_mean(name, available)}; {type(model).__name__} has: "
                f"{', '.join(sorted(available))}"
            )
        available[name].trainable = False
    averages = {
        id(w) for _, average in (model.averaged_networks() if model.keeps_average else ()) for w in average.weights
    }
    if names and not [w for w in model.trainable_weights if id(w) not in averages]:  # a moving average is not trained
        raise TransferError(f"freezing {', '.join(names)} leaves nothing to train")


#: config keys that never change the weights' shapes (training settings, names)
NOT_SHAPING = ("seed", "name", "loss", "ema_decay", "augment", "augment_target", "r1_gamma", "dropout")


def _differences(source, model):
    """The error's tail: the architecture settings in which `source`'s config differs from `model`'s
    (a switch missing from a config is off), or the generic advice where none is found."""

    def value(config, other, key):
        return config.get(key, False if isinstance(other.get(key), bool) else None)

    def shown(key, v):
        if isinstance(v, bool):
            return f"{key} {'on' if v else 'off'}"
        return f"{key} {'x'.join(map(str, v)) if isinstance(v, (list, tuple)) else v}"

    theirs, mine = source.get_config(), model.get_config()
    keys = [k for k in dict.fromkeys([*theirs, *mine]) if k not in NOT_SHAPING]
    differ = [k for k in keys if value(theirs, mine, k) != value(mine, theirs, k)]
    if not differ:
        return " (pass the same size flags as its card's command)"
    there = ", ".join(shown(k, value(theirs, mine, k)) for k in differ)
    here = ", ".join(shown(k, value(mine, theirs, k)) for k in differ)
    return f"; '{_name(source)}' was built with {there}, this model with {here}: pass the flags that match"


def _name(source):
    return (source.card or {}).get("name", type(source).__name__)
