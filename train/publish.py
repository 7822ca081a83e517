"""python -m train.publish RUN_DIR: turn a finished training run into a shipped pretrained entry.
(`--remeasure ENTRY`: the card's metrics measured again with the current code, weights unchanged.)

Copies RUN_DIR/model.weights.h5 (without optimizer slots) to zoo/pretrained/<name>.weights.h5, writes
the card zoo/pretrained/<name>.json (the run's card + the weights' sha256 + measured metrics), and
renders docs/images/<name>.png from the *shipped* weights, loaded back through `zoo.load`. With
ZOO_PRETRAINED_DIR set, the entry goes to that folder instead (and `zoo.load` finds it there).
"""

import json
import sys
from pathlib import Path

import zoo
from zoo import registry
from zoo.atomic import replacing, write_json
from zoo.errors import ZooError, cli_parser
from zoo.images import grid, save_png

DOCS = Path(__file__).resolve().parents[1] / "docs" / "images"


def measure(model, name):
    """Metrics for the card: the evaluation protocol's numbers where the family has one."""
    try:
        from zoo.evaluation.evaluate import evaluate
    except ImportError:
        return {}
    return evaluate(model)


def strip_optimizer(card, source, target):
    """Write `source`'s model weights to `target` without the optimizer slots a training run saves
    with them (a third of the file or less); the values are checked to be unchanged."""
    import numpy as np

    trained = registry.build(card["architecture"], card["config"])
    trained.load_weights(str(source))
    with replacing(target, ".weights.h5") as tmp:
        trained.save_weights(str(tmp))
        check = registry.build(card["architecture"], card["config"])
        check.load_weights(str(tmp))
        if not all(np.array_equal(a, b) for a, b in zip(trained.get_weights(), check.get_weights())):
            raise ZooError(f"re-saved weights of {source} differ from the trained ones")


def publish(run_dir, name=None, summary="", images=DOCS):
    run_dir = Path(run_dir)
    card = json.loads((run_dir / "card.json").read_text())
    name = name or card["name"]
    if Path(name).exists():  # zoo.load(name) below would be ambiguous: refuse before writing anything
        raise ZooError(f"'{name}' is also a file or folder here; run python -m train.publish from another folder")
    registry.PRETRAINED_DIR.mkdir(parents=True, exist_ok=True)
    weights = registry.PRETRAINED_DIR / f"{name}.weights.h5"
    strip_optimizer(card, run_dir / "model.weights.h5", weights)
    card.update(name=name, weights={"file": weights.name, "sha256": registry.sha256(weights)})
    if not card["training"].get("history") and (run_dir / "log.csv").is_file():
        from zoo.vis import history

        series = history(run_dir)
        card["training"]["history"] = [
            {"epoch": i + 1, **{k: v[i] for k, v in series.items()}} for i in range(len(next(iter(series.values()))))
        ]
    if summary:
        card["summary"] = summary
    card_path = registry.PRETRAINED_DIR / f"{name}.json"
    write_json(card_path, card)
    model = zoo.load(name)  # the shipped files, through the public path
    card["metrics"] = measure(model, name)
    write_json(card_path, card)
    picture = model.preview()  # the per-epoch picture of the family, from the shipped weights
    if picture is not None:
        images = Path(images)
        images.mkdir(parents=True, exist_ok=True)
        save_png(grid(picture, cols=8), images / f"{name}.png", scale=2)
    return card


def remeasure(name):
    """Measure a shipped entry's metrics again with the current code (its weights unchanged, checked by
    sha256 on load): a new figure or baseline reaches the card without retraining."""
    card_path = registry.PRETRAINED_DIR / f"{name}.json"
    if not card_path.is_file():
        raise ZooError(f"no shipped entry '{name}' in {registry.PRETRAINED_DIR}")
    card = json.loads(card_path.read_text())
    card["metrics"] = measure(zoo.load(name), name)
    write_json(card_path, card)
    return card


def main(argv=None):
    p = cli_parser(prog="python -m train.publish", description=__doc__.splitlines()[0])
    p.add_argument("run_dir", nargs="?", help="the finished run to publish")
    p.add_argument(
        "--remeasure", metavar="ENTRY", help="measure a shipped entry's card metrics again (weights unchanged)"
    )
    p.add_argument("--name", default=None)
    p.add_argument("--summary", default="")
    p.add_argument("--images", default=str(DOCS), help="where the sample picture goes (default: docs/images)")
    args = p.parse_args(argv)
    if (args.run_dir is None) == (args.remeasure is None):
        p.error("give a run folder to publish or --remeasure ENTRY (one of them)")
    try:
        if args.remeasure:
            card = remeasure(args.remeasure)
        else:
            card = publish(args.run_dir, args.name, args.summary, args.images)
    except (ZooError, OSError, KeyError, json.JSONDecodeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    print(json.dumps(card["metrics"], indent=2))


if __name__ == "__main__":
    main()
