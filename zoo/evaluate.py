"""python -m zoo.evaluate NAME [--samples 1000] [--json FILE]

Scores a zoo entry against held-out real data and prints a table; the protocol is stored with
every number (numbers from different protocols are not comparable):
  generators   FID, KID (mean ± s.e.), Inception-style score, precision/recall, label entropy and
               near-duplicate fraction of `samples` images drawn with seed 0, against the MNIST-5k
               test split, in the feature space of classifier-mnist's penultimate layer
  classifiers  accuracy on the held-out test split
"""
from __future__ import annotations

import json
import sys

import numpy as np

FEATURE_NETWORK = "classifier-mnist"
PROTOCOL = {
    "feature_network": f"{FEATURE_NETWORK}, penultimate layer (Dense 128, ReLU), images in [0, 1]",
    "reference": "mnist5k test split: 1,000 real digits (100 per class) held out from every zoo model's training",
    "samples": "1,000 generated images, latents from numpy default_rng(seed=0)",
    "fid": "Frechet distance of Gaussian fits to the two feature sets",
    "kid": "unbiased MMD^2, kernel (x.y/128 + 1)^3, 10 subsets of 500, mean and standard error",
    "inception_score": "exp E KL(p(y|x) || p(y)) with classifier-mnist softmax, 10 splits",
    "precision_recall": "k=3 nearest-neighbour manifolds (Kynkaanniemi et al. 2019) in the same features",
    "label_entropy": "entropy of the predicted-label histogram / log 10 (1 = classes uniform)",
    "duplicate_fraction": "share of samples with another sample within RMS pixel difference 0.02",
}


def image_metrics(images, reference_images, classifier):
    """Every generator metric of `images` against `reference_images` (both float [0, 1])."""
    from zoo import metrics

    fake_features = classifier.features(images)
    real_features = classifier.features(reference_images)
    probabilities = classifier.probabilities(images)
    kid, kid_se = metrics.kernel_inception_distance(real_features, fake_features)
    inception, inception_std = metrics.inception_score(probabilities)
    precision, recall = metrics.precision_recall(real_features, fake_features)
    return {
        "fid": metrics.frechet_distance(real_features, fake_features),
        "kid": kid,
        "kid_standard_error": kid_se,
        "inception_score": inception,
        "inception_score_std": inception_std,
        "precision": precision,
        "recall": recall,
        "label_entropy": metrics.label_entropy(probabilities),
        "duplicate_fraction": metrics.duplicate_fraction(images),
    }


def reference_images():
    from zoo.data import load_images, scale_images

    return scale_images(load_images("mnist5k", "test").images)


def evaluate(model, name=None, samples=1000, classifier=None):
    """Metrics of a zoo model (with the protocol), as stored in its card."""
    import zoo

    if hasattr(model, "held_out_metrics"):  # classifiers, autoencoders: their own held-out figures
        from zoo.data import load_images

        if hasattr(model, "held_out_data"):  # non-image data: the model knows its own split
            test_set = model.held_out_data()
        else:
            test_set = load_images((getattr(model, "card", None) or {}).get("data", {}).get("name", "mnist5k"), "test")
        result = model.held_out_metrics(test_set)
        if hasattr(model, "sample"):  # a VAE is a generator too: its prior samples, scored like the GANs'
            result["samples"] = evaluate_samples(model, samples, classifier or zoo.load(FEATURE_NETWORK))
        return result
    classifier = classifier or zoo.load(FEATURE_NETWORK)
    if hasattr(model, "domain_names"):
        return translation_metrics(model, classifier)
    return evaluate_samples(model, samples, classifier)


def evaluate_samples(model, samples, classifier):
    """Generator metrics of `samples` images drawn with seed 0, with the protocol."""
    images = center_crop(model.sample(samples, seed=0), classifier.image_shape)  # conditional: every class in turn
    result = {"protocol": PROTOCOL, **image_metrics(images, reference_images(), classifier)}
    if model.image_shape != classifier.image_shape:
        result["protocol"] = {**result["protocol"], "crop": f"{model.image_shape} samples center-cropped to {classifier.image_shape}"}
    if hasattr(model, "class_accuracy"):  # conditional: are the samples of the requested class?
        result.update(model.class_accuracy(classifier))
        result["protocol"] = {**PROTOCOL, "class_accuracy": "classifier-mnist arg-max == requested label, 100 samples per class, seed 0"}
    return result


def center_crop(images, shape):
    """Crop `[N, H, W, C]` images to the classifier's (h, w) around the centre (32x32 digits are
    28x28 digits padded by 2 pixels, so this recovers their frame)."""
    h, w = shape[:2]
    top, left = (images.shape[1] - h) // 2, (images.shape[2] - w) // 2
    return images[:, top: top + h, left: left + w]


def translation_metrics(model, classifier):
    """CycleGAN: FID of each direction's translations of the source test split against the target
    domain's test split, and how often the digit survives translation (classifier label kept)."""
    from zoo import metrics
    from zoo.data import load_images, scale_images

    sets = [load_images(name, "test") for name in model.domain_names]
    result = {"protocol": {
        "fid": "classifier-mnist penultimate features of the translated source test split vs the target domain's test split",
        "label_kept": "share of translated test digits that classifier-mnist still reads as their true label",
        "fid_untranslated": "the same FID for the untranslated source images: the gap translation has to close",
    }}
    for direction, (source, target) in {"a_to_b": (sets[0], sets[1]), "b_to_a": (sets[1], sets[0])}.items():
        images = scale_images(source.images)
        translated = model.translate(images, direction)
        target_features = classifier.features(scale_images(target.images))
        result[f"{direction}_fid"] = metrics.frechet_distance(target_features, classifier.features(translated))
        result[f"{direction}_fid_untranslated"] = metrics.frechet_distance(target_features, classifier.features(images))
        result[f"{direction}_label_kept"] = float(np.mean(classifier.probabilities(translated).argmax(1) == source.labels))
    return result


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


def main(argv=None):
    import zoo
    from zoo.errors import ZooError, cli_parser

    p = cli_parser(prog="python -m zoo.evaluate", description=__doc__.split("\n\n")[1].splitlines()[0])
    p.add_argument("name", help="pretrained entry or training output folder")
    p.add_argument("--samples", type=int, default=1000, help="generated images to score")
    p.add_argument("--json", default=None, help="also write the metrics to this JSON file")
    args = p.parse_args(argv)
    if args.samples < 10:
        p.error(f"--samples must be at least 10, got {args.samples}")
    try:
        result = evaluate(zoo.load(args.name), args.name, samples=args.samples)
    except ZooError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    numbers = {k: v for k, v in result.items() if k != "protocol"}
    if "fid" in numbers:
        print(format_table({args.name: numbers}))
    else:
        print("\n".join(f"{k}: {v}" for k, v in numbers.items()))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2, default=float)
    return result


if __name__ == "__main__":
    main()
