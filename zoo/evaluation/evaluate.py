"""python -m zoo.evaluate NAME_OR_RUN [--samples 1000] [--feature-network NET] [--json FILE]

Scores a zoo entry or a training run against the held-out test split of *its own* data (read from
the data recipe in its card) and prints a table; the protocol is stored with every number (numbers
from different protocols are not comparable):
  generators   FID, KID (mean ± s.e.), precision/recall and near-duplicate fraction of `samples`
               images drawn with seed 0, against the run's test split (at most 10,000 images), in
               the space of a feature network chosen for the data (see zoo.evaluation.features); Inception
               score and label entropy only where that network's classes are the data's classes;
               conditional GANs: class accuracy; CycleGAN: FID per direction and label kept
               `--feature-network swd`: no network, no labels (zoo.evaluation.patches)
  others       their own held-out figures (accuracy, reconstruction error, forecast error, ...)
"""

from __future__ import annotations

import json
import sys

import numpy as np

from zoo.atomic import replacing

FEATURE_NETWORK = "classifier-mnist"
REFERENCE_LIMIT = 10_000
PROTOCOL = {
    "samples": "images drawn with latents from numpy default_rng(seed=0) (conditional: every class in turn)",
    "fid": "Frechet distance of Gaussian fits to the two feature sets",
    "kid": "unbiased MMD^2, kernel (x.y/d + 1)^3, 10 subsets of up to 500, mean and standard error",
    "precision_recall": "k=3 nearest-neighbour manifolds (Kynkaanniemi et al. 2019) in the same features",
    "duplicate_fraction": "share of samples with another sample within RMS pixel difference 0.02",
}
CLASS_PROTOCOL = {
    "inception_score": "exp E KL(p(y|x) || p(y)) with the feature network's softmax, 10 splits",
    "label_entropy": "entropy of the predicted-label histogram / log(classes) (1 = classes uniform)",
}


def _network(judge):
    """A FeatureNetwork from a FeatureNetwork or a bare zoo classifier."""
    from zoo.evaluation.features import ClassifierFeatures, FeatureNetwork

    if isinstance(judge, FeatureNetwork):
        return judge
    return ClassifierFeatures(judge, (judge.card or {}).get("name", "classifier"))


def image_metrics(images, reference_images, judge, with_classes=True, reference_features=None):
    """Every generator metric of `images` against `reference_images` (both float [0, 1]) in the
    feature space of `judge`; class-probability metrics only `with_classes`. `reference_features`:
    the judge's features of `reference_images`, where the caller has them already."""
    from zoo.evaluation import metrics

    judge = _network(judge)
    fake_features = judge.features(images)
    real_features = judge.features(reference_images) if reference_features is None else reference_features
    kid, kid_se = metrics.kernel_inception_distance(real_features, fake_features)
    precision, recall = metrics.precision_recall(real_features, fake_features)
    result = {
        "fid": metrics.frechet_distance(real_features, fake_features),
        "kid": kid,
        "kid_standard_error": kid_se,
        "precision": precision,
        "recall": recall,
        "duplicate_fraction": metrics.duplicate_fraction(images),
    }
    if with_classes:
        probabilities = judge.probabilities(images)
        inception, inception_std = metrics.inception_score(probabilities)
        result.update(
            inception_score=inception,
            inception_score_std=inception_std,
            label_entropy=metrics.label_entropy(probabilities),
        )
    return result


def reference_images():
    """The MNIST-5k test digits in [0, 1]: the reference set of the shipped digit generators."""
    from zoo.data import load_images, scale_images

    return scale_images(load_images("mnist5k", "test").images)


def describe_split(data):
    recipe = data.recipe()
    size = min(len(data), REFERENCE_LIMIT)
    return f"{data.name} '{data.split}' split, {size:,} images ({recipe.get('split', 'as loaded')})"


def evaluate(model, samples=1000, feature_network=None, judge=None, progress=None, accept_weak=False):
    """Metrics of a zoo model on its own data (with the protocol and the floors), as stored in its card.
    `judge`: a FeatureNetwork (or classifier) to use; else `feature_network` (a name for
    zoo.evaluation.features.choose), else the default for the model's data. A feature network that
    cannot separate the data is refused (`sanity.WeakFeatures`) unless `accept_weak`; then its
    warnings stand in the result. `progress(text)` hears each stage."""
    from zoo.errors import InputError
    from zoo.evaluation import features, patches

    say = progress or (lambda text: None)
    result = {}
    if "held_out" in model.evaluation:
        say("held-out metrics on the test split")
        result.update(model.held_out_metrics(model.data("test")))
    scored = [kind for kind in ("samples", "translation") if kind in model.evaluation]
    if not scored:
        return result
    if feature_network == patches.NAME and judge is None:  # no network: patch statistics
        if scored != ["samples"]:
            raise InputError(
                f"--feature-network {patches.NAME} scores a generator's samples; {model.architecture} has none"
            )
        say(f"sampling images and comparing their patches with the test split's ({patches.NAME})")
        found = patches.evaluate_patches(model, samples, describe_split, accept_weak)
        return {**result, "samples": found} if "held_out" in model.evaluation else {**result, **found}
    judge = _network(judge) if judge is not None else features.choose(model.recipe, feature_network)
    if "samples" in model.evaluation:
        say(f"sampling {samples:,} images and scoring them against the test split in {judge.name}")
        found = evaluate_samples(model, samples, judge, accept_weak=accept_weak)
        if "held_out" in model.evaluation:  # a VAE: its prior samples, scored like the GANs'
            result["samples"] = found
        else:
            result.update(found)
    if "translation" in model.evaluation:
        say(f"translating both test splits and scoring them in {judge.name}")
        result.update(translation_metrics(model, judge, accept_weak))
    return result


def evaluate_samples(model, samples, judge, test_set=None, accept_weak=False, floor=True):
    """Generator metrics of `samples` images drawn with seed 0 against the run's test split, beside
    their floor (real train images against the same test split), once the feature network is checked."""
    from zoo.data import scale_images
    from zoo.evaluation import sanity

    judge = _network(judge)
    test_set = test_set if test_set is not None else model.data("test")
    reference = scale_images(test_set.first(REFERENCE_LIMIT))
    real_features = judge.features(reference)  # once: the check, the metrics and the floor all use them
    checked = sanity.check(judge, test_set, reference, real_features)
    sanity.refuse_or_flag(checked, accept_weak)
    with_classes = judge.judges_classes_of(test_set.class_names)
    protocol = {
        "feature_network": judge.protocol(),
        "reference": describe_split(test_set),
        **PROTOCOL,
        "samples": f"{samples:,} " + PROTOCOL["samples"],
    }
    if with_classes:
        protocol.update(CLASS_PROTOCOL)
    else:
        protocol["omitted"] = (
            f"inception_score, label_entropy: {judge.name} has no class probabilities for this data's "
            f"classes ({', '.join(test_set.class_names[:5])}{', …' if len(test_set.class_names) > 5 else ''})"
        )
    protocol.update(feature_check=sanity.PROTOCOL["feature_check"])
    images = model.sample(samples, seed=0)
    result = {"protocol": protocol, **image_metrics(images, reference, judge, with_classes, real_features)}
    result["feature_check"] = {k: v for k, v in checked.items() if k not in ("warnings", "caveats")}
    for kind in ("warnings", "caveats"):
        if checked.get(kind):
            result[kind] = checked[kind]
    if floor:
        train = model.data("train")
        n = min(samples, len(train))
        key = {"test": test_set.recipe(), "train": train.recipe(), "n": n, "net": judge.protocol(), "c": with_classes}
        measure = lambda a, b: image_metrics(a, b, judge, with_classes, real_features)  # noqa: E731
        result["floor"] = sanity.floor(judge, scale_images(train.first(n)), reference, key, measure)
        protocol["floor"] = sanity.PROTOCOL["floor"] + f" (N = {n:,})"
    if "conditional" in model.evaluation:  # are the samples of the requested class?
        if judge.judges_classes_of(model.class_names):
            result.update(model.class_accuracy(judge))
            protocol["class_accuracy"] = f"{judge.name} arg-max == requested label, 100 samples per class, seed 0"
        else:
            protocol["omitted"] = protocol.get("omitted", "") + (
                f"; class_accuracy: {judge.name}'s classes are not this data's, so it cannot say whether a "
                f"sample shows its class"
            )
    return result


def translation_metrics(model, judge, accept_weak=False):
    """CycleGAN: FID of each direction's translations of the source test split against the target
    domain's test split (beside its floor: the target's real train images against the same test
    split), and (where the judge's classes are both domains') how often the label survives translation."""
    from zoo.data import scale_images
    from zoo.data.emoji import aligned
    from zoo.evaluation import metrics, sanity

    judge = _network(judge)
    test, train = model.data("test"), model.data("train")
    for domain in (test.a, test.b):
        checked = sanity.check(judge, domain, scale_images(domain.first(REFERENCE_LIMIT)))
        sanity.refuse_or_flag(checked, accept_weak)
    domains = {"a_to_b": (test.a, test.b), "b_to_a": (test.b, test.a)}
    keeps_labels = judge.judges_classes_of(test.a.class_names) and judge.judges_classes_of(test.b.class_names)
    result = {
        "protocol": {
            "feature_network": judge.protocol(),
            "fid": "features of the translated source test split vs the target domain's test split",
            "fid_untranslated": "the same FID for the untranslated source images: the gap translation has to close",
            "reference": f"test splits: A = {describe_split(test.a)}; B = {describe_split(test.b)}",
            "floor": "fid_floor: the target domain's real train images (as many as its test split) vs its test split",
            "feature_check": sanity.PROTOCOL["feature_check"],
        }
    }
    if keeps_labels:
        result["protocol"]["label_kept"] = (
            f"share of translated test images that {judge.name} still reads as their true label"
        )
    else:
        result["protocol"]["omitted"] = f"label_kept: {judge.name}'s classes are not both domains' classes"
    paired = aligned(test.a, test.b)
    if paired:
        result["protocol"].update(
            paired="the test images are the same emoji in both styles: each translation is also scored against "
            "its true counterpart (the training never saw which image matches which)",
            **{k: v + " (translation vs its true counterpart)" for k, v in metrics.QUALITY_PROTOCOL.items()},
            baselines="identity: the source image unchanged; histogram_matching: each source image's colour "
            "histograms matched per channel to the target domain's training images "
            "(skimage.exposure.match_histograms); each scored as the model is",
        )
    for direction, (source, target) in domains.items():
        images = scale_images(source.first(REFERENCE_LIMIT))
        translated = model.translate(images, direction)
        real_target = scale_images(target.first(REFERENCE_LIMIT))
        target_features = judge.features(real_target)
        real_train = train.b if direction == "a_to_b" else train.a

        labels = source.labels[: len(images)] if keeps_labels else None
        truth = real_target if paired else None
        scored = lambda outputs: score_translation(outputs, judge, target_features, truth, labels)  # noqa: E731

        result.update({f"{direction}_{k}": v for k, v in scored(translated).items()})
        result[f"{direction}_fid_untranslated"] = metrics.frechet_distance(target_features, judge.features(images))
        result[f"{direction}_fid_floor"] = metrics.frechet_distance(
            target_features, judge.features(scale_images(real_train.first(len(target_features))))
        )
        untranslated, floor = result[f"{direction}_fid_untranslated"], result[f"{direction}_fid_floor"]
        if untranslated <= floor:  # the judge barely tells the domains apart: FID cannot rank translations
            result.setdefault("caveats", []).append(
                f"{direction} FID cannot rank translations: the untranslated source images read {untranslated:.2f}, "
                f"at or below the floor {floor:.2f}, so {judge.name}'s features barely tell the domains apart"
                + ("; judge by L1, PSNR and SSIM against the true pairs" if paired else "")
            )
        if paired:
            result[f"{direction}_baselines"] = {
                "identity": scored(images),
                "histogram_matching": scored(histogram_matched(images, scale_images(real_train.images))),
            }
    return result


def score_translation(outputs, judge, target_features, truth=None, labels=None):
    """A translation's figures: FID of `outputs` against the target domain's `target_features`; with
    `truth` (each output's true counterpart) L1, PSNR and SSIM; with `labels` (the sources' labels)
    the share `judge` still reads as that label."""
    from zoo.evaluation import metrics

    found = {"fid": metrics.frechet_distance(target_features, judge.features(outputs))}
    if truth is not None:
        found.update(metrics.image_quality(outputs, truth))
    if labels is not None:
        found["label_kept"] = float(np.mean(judge.probabilities(outputs).argmax(1) == labels))
    return found


def histogram_matched(images, reference):
    """Each image's channels matched to the histograms of every `reference` image pooled: the
    algorithm of skimage.exposure.match_histograms (source value -> the reference value at the same
    cumulative share, interpolated), with the reference's quantiles computed once. Float [0, 1]."""
    out = np.empty_like(images, dtype=np.float32)
    for c in range(images.shape[-1]):
        values, counts = np.unique(reference[..., c], return_counts=True)
        quantiles = np.cumsum(counts) / counts.sum()
        for i, image in enumerate(images):
            source, index, source_counts = np.unique(image[..., c], return_inverse=True, return_counts=True)
            mapped = np.interp(np.cumsum(source_counts) / source_counts.sum(), quantiles, values)
            out[i, ..., c] = mapped[index].reshape(image.shape[:-1])
    return out


def format_table(rows):
    """Markdown table of {name: metrics}."""
    columns = ["fid", "kid", "inception_score", "precision", "recall", "label_entropy", "duplicate_fraction"]
    lines = ["| model | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for name, values in rows.items():
        cells = []
        for c in columns:
            v = values.get(c)
            cells.append("" if v is None else f"{v:.4f}" if c == "kid" else f"{v:.3f}" if c != "fid" else f"{v:.2f}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def translation_rows(result, name="model"):
    """[(direction, method, figures)] of a translation_metrics result: the model, then its baselines
    (where the test images are paired), then the floor (real target images: FID only)."""
    rows = []
    for direction in ("a_to_b", "b_to_a"):
        if f"{direction}_fid" not in result:
            continue
        prefix = f"{direction}_"
        own = {k[len(prefix) :]: v for k, v in result.items() if k.startswith(prefix) and not isinstance(v, dict)}
        rows.append((direction, name, own))
        for method, figures in result.get(f"{direction}_baselines", {}).items():
            rows.append((direction, method.replace("_", " "), figures))
        rows.append((direction, "floor: real train vs real test", {"fid": own.get("fid_floor")}))
    return rows


def translation_table(rows):
    """Markdown: one row per (direction, method): L1, PSNR, SSIM, FID, label kept (blank where not measured)."""
    columns = (
        ("l1", "L1", 4),
        ("psnr", "PSNR dB", 2),
        ("ssim", "SSIM", 3),
        ("fid", "FID", 2),
        ("label_kept", "label kept", 3),
    )
    lines = [
        "| direction | method | " + " | ".join(c[1] for c in columns) + " |",
        "|---|---" + "|---" * len(columns) + "|",
    ]
    for direction, method, figures in rows:
        cells = [("" if figures.get(k) is None else f"{figures[k]:.{d}f}") for k, _, d in columns]
        lines.append(f"| {direction.replace('_', ' ')} | {method} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def forecast_table(numbers):
    """Markdown table: the network and every baseline, MAE / RMSE / MASE (best MAE in bold)."""
    rows = {k: v for k, v in numbers.items() if isinstance(v, dict) and "mae" in v}
    best = min(v["mae"] for v in rows.values())
    lines = ["| forecaster | MAE | RMSE | MASE | configuration |", "|---|---|---|---|---|"]
    for name, v in rows.items():
        mae = f"**{v['mae']:.3f}**" if v["mae"] == best else f"{v['mae']:.3f}"
        mase = f"{v['mase']:.3f}" if "mase" in v else ""
        lines.append(f"| {name} | {mae} | {v['rmse']:.3f} | {mase} | {v.get('config', '')} |")
    return "\n".join(lines)


RAW_PROTOCOL = "the trained generator's own weights (--raw-generator), not the moving average the model samples with"


def use_raw_generator(model, name):
    """Make `model` sample from its trained generator instead of the moving average it keeps."""
    from zoo.errors import InputError

    if not model.keeps_average:
        raise InputError(
            f"--raw-generator: {name} is not a GAN that keeps a moving average of its generator (--ema-decay)"
        )
    model.use_average = False


def main(argv=None):
    from zoo import checks
    from zoo.errors import cli_parser

    p = cli_parser(prog="python -m zoo.evaluate", description=__doc__.split("\n\n")[1])
    p.add_argument("name", help="pretrained entry or training output folder")
    p.add_argument("--samples", type=int, default=1000, help="generated images to score")
    p.add_argument(
        "--feature-network",
        default=None,
        metavar="NET",
        help="feature space for generators: a classifier entry or run folder, inception or inception:FILE, or swd "
        "(no network, no labels: sliced Wasserstein distance on image patches) (default: classifier-mnist for "
        "digit data, classifier-emoji for emoji, else local Inception-V3 weights)",
    )
    p.add_argument("--json", default=None, help="also write the metrics (with the protocol) to this JSON file")
    p.add_argument(
        "--accept-weak-features",
        action="store_true",
        help="print the metrics even when the feature network fails its check on this data (collapsed features, "
        "accuracy near chance); the warning is printed and saved with them",
    )
    p.add_argument(
        "--raw-generator",
        action="store_true",
        help="GANs that keep a moving average of their generator (--ema-decay): score the trained "
        "generator itself instead of the average that sampling and export use",
    )
    args = p.parse_args(argv)
    if args.samples < 10:
        p.error(f"--samples must be at least 10, got {args.samples}")
    if args.json:
        checks.flag(p, checks.output_file, args.json, ".json", what="--json")
    import zoo
    from zoo.errors import ZooError

    def say(text):
        print(f"... {text}", file=sys.stderr, flush=True)

    try:
        model = zoo.load(args.name)  # a bad name or path: one line, before any stage is announced
        if args.raw_generator:
            use_raw_generator(model, args.name)
        result = evaluate(
            model,
            samples=args.samples,
            feature_network=args.feature_network,
            progress=say,
            accept_weak=args.accept_weak_features,
        )
    except ZooError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    if args.raw_generator:
        result.setdefault("protocol", {})["generator"] = RAW_PROTOCOL
    numbers = {
        k: v for k, v in result.items() if k not in ("protocol", "floor", "feature_check", "warnings", "caveats")
    }
    for warning in result.get("warnings", []):
        print(f"WARNING: {warning}", file=sys.stderr)
        print(f"WARNING (these numbers cannot be trusted): {warning}")
    for caveat in result.get("caveats", []):
        print(f"NOTE: {caveat}")
    if isinstance(numbers.get("model"), dict) and "mase" in numbers["model"]:  # a forecaster beside its baselines
        print(forecast_table(numbers))
        print(f"protocol: {result['protocol']}")
        if "classical_protocol" in numbers:
            print(f"classical models: {numbers['classical_protocol']}")
    elif "retrieval_baseline" in numbers:  # text -> image, beside retrieval
        from zoo.evaluation.text2image import table

        print(table(numbers, args.name))
        print(f"protocol: {result['protocol']}")
    elif "ngram_nats_per_token" in numbers:  # a melody model, beside the n-grams
        from zoo.music import metrics_table

        print(metrics_table(numbers, args.name))
        print(f"protocol: {result['protocol']}; {result['music_protocol']}")
    elif "a_to_b_fid" in numbers:  # a translation model, beside its baselines and floors
        print(translation_table(translation_rows(result, args.name)))
    elif "swd" in numbers:  # no feature network: patch statistics beside their floor
        from zoo.evaluation.patches import table

        print(table(result, args.name))
    elif "fid" in numbers:
        rows = {args.name: numbers}
        if "floor" in result:
            rows["floor: real train vs real test"] = result["floor"]
        print(format_table(rows))
    else:
        print("\n".join(f"{k}: {v}" for k, v in numbers.items()))
    protocol = result.get("protocol") if isinstance(result.get("protocol"), dict) else {}  # (a forecaster's: words)
    for key in ("feature_network", "reference", "floor", "omitted", "generator"):
        if key in protocol:
            print(f"{key.replace('_', ' ')}: {protocol[key]}")
    for key, said in protocol.items():  # what could not be measured, and why: one line each
        if isinstance(said, str) and said.startswith("not measured"):
            print(f"NOTE: {key} {said}")
    if args.json:
        with replacing(args.json) as tmp, open(tmp, "w") as f:  # a crash leaves the old file or the new one
            json.dump(result, f, indent=2, default=float)
    return result


if __name__ == "__main__":
    main()
