"""python -m zoo.vis NAME --kind saliency|gradcam|activation|interpolate|latent|forecast|attention|captions|pairs
    |confusion|anomalies|curves --out FILE.png

Visual diagnosis of zoo models:
  saliency     vanilla saliency and SmoothGrad (tf-keras-vis) of the classifier's decision, or of a
               GAN discriminator's real/fake score on real digits and on generated ones
  gradcam      Grad-CAM++ (tf-keras-vis) on the last convolution, same subjects as saliency
  activation   activation maximisation of each class of a classifier (tf-keras-vis)
  interpolate  latent walks: rows of images between pairs of seeds (spherical interpolation)
  latent       an autoencoder's codes of the held-out digits in 2-D, coloured by label, next to
               PCA's 2-D projection of the same pixels (codes wider than 2 are projected by PCA too)
  forecast     a forecaster's multi-step forecasts over the held-out part of its series (its outer
               quantiles as a band, if it has them), against the actual values and the seasonal-naive
               forecast
  attention    a seq2seq model's attention weights (target character x source character) for held-out
               examples of every group (unseen dates, formats, locales), with its greedy output
  captions     a captioner's greedy captions of held-out images (wrong ones marked with the truth)
  pairs        an image-to-image model's held-out strip: input / classical baseline / output / truth
  confusion    a sequence classifier's held-out confusion matrix beside a few test sequences of each
               class (channel 0, at their own lengths), green where classified right, red where wrong
  anomalies    a series autoencoder's held-out series with its labelled anomalies shaded, the points
               `detect` flags, and the point scores against the calibrated threshold
  curves       training curves from the card's per-epoch history (or a run folder's log.csv)
Every function below also returns its arrays, so tests can check shapes and contents.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np

from zoo.vis_common import check_kind, save_png  # noqa: F401  (check_kind: part of this module's API)

KINDS = (
    *("saliency", "gradcam", "activation", "interpolate", "latent", "forecast", "attention", "captions", "pairs"),
    *("confusion", "anomalies", "curves"),
)


def _flat(net):
    """A flat functional copy (same weights) of a Sequential or of a [body, head] pair.

    tf-keras-vis needs a model whose inputs reach its conv layers directly; layers shared with the
    original Sequential would carry its graph, so each layer is rebuilt from its config instead."""
    import keras

    parts = list(net) if isinstance(net, (list, tuple)) else [net]
    inputs = keras.Input(tuple(parts[0].input_shape[1:]))
    x, pairs = inputs, []
    for layer in (layer for part in parts for layer in part.layers if not isinstance(layer, keras.layers.InputLayer)):
        copy = type(layer).from_config(layer.get_config())
        x = copy(x)
        pairs.append((copy, layer))
    for copy, layer in pairs:
        copy.set_weights(layer.get_weights())
    return keras.Model(inputs, x)


def subject(model):
    """(functional model, score function, description) for the maps of a classifier or a GAN (what
    the model declares as its `saliency_subject`)."""
    found = model.saliency_subject()
    if found is not None:
        networks, score, description = found
        return _flat(networks), score, description
    raise ValueError(
        f"saliency and Grad-CAM maps need a classifier or a single-input discriminator; "
        f"{type(model).__name__} has neither"
    )


def _last_conv(functional):
    import keras

    return [layer.name for layer in functional.layers if isinstance(layer, keras.layers.Conv2D)][-1]


def _score(model, functional, score, images):
    if score is not None:
        return score
    predicted = np.asarray(functional(images)).argmax(1)
    from tf_keras_vis.utils.scores import CategoricalScore

    return CategoricalScore(predicted.tolist())


def saliency_maps(model, images, smooth_samples=0):
    """`[N, H, W]` saliency (or SmoothGrad with `smooth_samples` > 0) maps, normalised to [0, 1]."""
    from tf_keras_vis.saliency import Saliency

    functional, score, _ = subject(model)
    maps = Saliency(functional, clone=False)(
        _score(model, functional, score, images), images, smooth_samples=smooth_samples, smooth_noise=0.15
    )
    return np.asarray(maps)


def gradcam_maps(model, images):
    """`[N, H, W]` Grad-CAM++ maps on the last convolution, normalised to [0, 1]."""
    from tf_keras_vis.gradcam_plus_plus import GradcamPlusPlus

    functional, score, _ = subject(model)
    maps = GradcamPlusPlus(functional, clone=False)(
        _score(model, functional, score, images), images, penultimate_layer=_last_conv(functional)
    )
    return np.asarray(maps)


def class_maximisations(model, classes=None, steps=150, seed=0):
    """`[len(classes), H, W, C]` inputs in [0, 1] that maximise each class logit of a classifier
    (default: every class of the model, at most 10)."""
    import tensorflow as tf
    from tf_keras_vis.activation_maximization import ActivationMaximization
    from tf_keras_vis.utils.scores import CategoricalScore

    check_kind(model, "activation")
    functional = _flat([model.body, model.head])
    classes = list(range(min(model.num_classes, 10)) if classes is None else classes)
    tf.random.set_seed(seed)
    rng = np.random.default_rng(seed)
    start = rng.uniform(0.4, 0.6, (len(classes), *model.image_shape)).astype(np.float32)
    result = ActivationMaximization(functional, clone=False)(
        CategoricalScore(classes),
        seed_input=start,
        input_range=(0.0, 1.0),
        steps=steps,
        input_modifiers=[],
        callbacks=[],
    )
    return np.clip(np.asarray(result), 0.0, 1.0)


def slerp(a, b, t):
    """Spherical interpolation between latent vectors (keeps Gaussian latents at typical norms)."""
    a_n, b_n = a / np.linalg.norm(a), b / np.linalg.norm(b)
    omega = np.arccos(np.clip(np.dot(a_n, b_n), -1.0, 1.0))
    if omega < 1e-6:
        return (1 - t) * a + t * b
    return (np.sin((1 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(omega)


def interpolation_grid(model, pairs=6, steps=10, seed=0):
    """`[pairs, steps, H, W, C]` images along slerp paths between pairs of seeded latents."""
    latents = model.latents(2 * pairs, seed=seed)
    endpoint = model.endpoint("sample")
    rows = []
    for i in range(pairs):
        path = np.stack([slerp(latents[2 * i], latents[2 * i + 1], t) for t in np.linspace(0, 1, steps)]).astype(
            np.float32
        )
        extra = {}
        if "label" in endpoint.inputs:  # conditional: one class per row
            extra["label"] = np.full((steps,), i % (int(endpoint.inputs["label"].high) + 1), np.int32)
        if "psi" in endpoint.inputs:  # StyleGAN: no truncation, fixed zero noise
            extra["psi"] = np.ones((steps,), np.float32)
            extra.update(
                {
                    k: np.zeros((steps, *spec.shape[1:]), np.float32)
                    for k, spec in endpoint.inputs.items()
                    if k.startswith("noise")
                }
            )
        rows.append(endpoint(z=path, **extra)["images"])
    return np.stack(rows)


def latent_projection(model, images):
    """([N, 2] autoencoder coordinates, how they were made, [N, 2] PCA-of-pixels coordinates)."""
    from sklearn.decomposition import PCA

    check_kind(model, "latent")
    codes = model.encode(images)
    if codes.shape[1] == 2:
        ours, how = codes, "2-D code"
    else:
        ours, how = PCA(2).fit_transform(codes), f"{codes.shape[1]}-D code, first 2 principal components"
    return ours, how, PCA(2).fit_transform(np.asarray(images).reshape(len(images), -1))


def history(model_or_run):
    """{metric: [value per epoch]} from a card's training history or a run folder's log.csv."""
    folder = Path(str(model_or_run))
    if folder.is_dir() and (folder / "log.csv").is_file():
        rows = list(csv.DictReader((folder / "log.csv").open()))
    else:
        rows = model_or_run.card.get("training", {}).get("history", [])
    series = {}
    for row in rows:
        for key, value in row.items():
            if key in ("epoch",) or value in ("NA", "", None) or key.startswith("val_"):
                continue
            series.setdefault(key, []).append(float(value))
    return series


# ---- rendering ----------------------------------------------------------------------------------
def _fit(title, width):
    """A row title that fits the row: a folder dataset named by its last part (not its absolute
    path), then cut to `width` characters; a longer title would make tight_layout shrink the grid."""
    import re

    title = re.sub(r"folder:(\S*?)([^/\s]+)/?(?=[\s,)]|$)", r"folder:\2", title)
    return title if len(title) <= width else title[: width - 1] + "…"


def _figure_of_rows(rows, titles, path, cmap_rows=()):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n_rows, n_cols = len(rows), max(len(r) for r in rows)
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(1.3 * n_cols, 1.4 * n_rows), squeeze=False)
    for r, (row, title) in enumerate(zip(rows, titles)):
        for c in range(n_cols):
            ax = axes[r][c]
            ax.axis("off")
            if c < len(row):
                image = np.squeeze(row[c])
                ax.imshow(image, cmap="jet" if r in cmap_rows else "gray", vmin=0, vmax=1)
        axes[r][0].set_title(_fit(title, 22 * n_cols), fontsize=7, loc="left")
    save_png(fig, path)


def forecast_paths(model):
    """(years/steps [T], actual [T], [(origin, model path, seasonal-naive path)], start, series name)
    over the held-out part of the model's (first) series, from non-overlapping origins one horizon
    apart. The seasonal-naive path is the naive one for a series without a period."""
    check_kind(model, "forecast")
    info = model.data("test").info
    series, start, period = info["series"][0], info["train_ends"][0], info["period"]
    values = series[:, 0]
    paths = []
    for origin in range(start, len(values) - model.horizon + 1, model.horizon):
        ours = model.forecast_from(series, [origin])[0]
        seasonal = (
            values[origin - period + np.arange(model.horizon) % period]
            if period
            else np.repeat(values[origin - 1], model.horizon)
        )
        paths.append((origin, ours, seasonal))
    return np.arange(len(values)), values, paths, start, info["series_names"][0]


def _render_forecast(model, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps, values, paths, start, series_name = forecast_paths(model)
    first = max(0, start - 3 * model.window)
    fig, ax = plt.subplots(figsize=(10, 3.6))
    ax.plot(steps[first:], values[first:], color="black", lw=1.2, label="actual")
    ax.axvline(start - 0.5, color="grey", ls=":", lw=1)
    for i, (origin, ours, seasonal) in enumerate(paths):
        span = np.arange(origin, origin + model.horizon)
        ax.plot(
            span,
            ours,
            color="tab:red",
            lw=1.6,
            label=f"{(model.card or {}).get('name', 'model')} ({model.horizon} steps at once)" if i == 0 else None,
        )
        naive = "seasonal naive" if model.period else "naive"
        ax.plot(span, seasonal, color="tab:blue", lw=1, ls="--", label=naive if i == 0 else None)
        if model.quantiles:  # the outer quantile levels as a band
            levels = model.forecast_from(model.data("test").info["series"][0], [origin], quantiles=True)[0]
            low, high = model.quantiles[0], model.quantiles[-1]
            ax.fill_between(
                span,
                levels[:, 0],
                levels[:, -1],
                color="tab:red",
                alpha=0.18,
                lw=0,
                label=f"{low:g}-{high:g} quantiles" if i == 0 else None,
            )
    which = f"series '{series_name}': " if series_name else ""
    ax.set_title(
        f"{which}held-out forecasts from every {model.horizon}th origin (left of the dotted line: training part)",
        fontsize=9,
    )
    ax.set_xlabel("step since the series' start", fontsize=8)
    ax.legend(fontsize=8, loc="upper left")
    save_png(fig, path)


def attention_examples(model, per_group=2):
    """[(source text, greedy output, true target, attention [T, S])] for the first `per_group`
    held-out examples of every group of the model's test split."""
    check_kind(model, "attention")
    test = model.data("test")
    groups, texts = test.info["groups"], test.info["texts"]
    chosen = [i for g in sorted(set(groups)) for i in np.flatnonzero(groups == g)[:per_group]]
    out = []
    for i in chosen:
        weights, output = model.attention(texts[i])
        out.append((texts[i], output, model.decode_ids(test.targets[i]), weights))
    return out


def _render_attention(model, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    examples = attention_examples(model)
    fig, axes = plt.subplots(len(examples), 1, figsize=(9, 1.25 * len(examples) + 0.4))
    for ax, (text, output, truth, weights) in zip(np.atleast_1d(axes), examples):
        rows = len(output) + 1  # its characters and <end>
        ax.imshow(weights[:rows, : len(text)], cmap="viridis", vmin=0, vmax=1, aspect="auto")
        ax.set_xticks(range(len(text)), list(text), fontsize=6)
        ax.set_yticks(range(rows), list(output) + ["<e>"], fontsize=5)
        ax.set_title(f"{text!r} -> {output!r} ({'right' if output == truth else 'wrong: ' + truth})", fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def captioned_examples(model, n=12):
    """(images [n, H, W, C], captions, true captions) of the first `n` held-out images."""
    check_kind(model, "captions")
    test = model.data("test")
    return test.inputs[:n], model.caption(test.inputs[:n]), test.info["captions"][:n]


def _render_captions(model, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    images, captions, truth = captioned_examples(model)
    cols = 4
    fig, axes = plt.subplots(-(-len(images) // cols), cols, figsize=(2.4 * cols, 1.45 * -(-len(images) // cols)))
    for ax, image, caption, true in zip(axes.ravel(), images, captions, truth):
        ax.imshow(image[..., 0], cmap="gray", vmin=0, vmax=1)
        ax.set_title(
            caption if caption == true else f"{caption} (truth: {true})",
            fontsize=8,
            color="black" if caption == true else "tab:red",
        )
        ax.set_xticks([]), ax.set_yticks([])
    save_png(fig, path)


def pair_strips(model, n=8):
    """(rows, titles) of `n` held-out pairs (spread over the test split): input (at the output size), the classical
    baseline where the model has one, the model's output, the ground truth."""
    check_kind(model, "pairs")
    test = model.data("test")
    inputs, targets = model.held_out_examples(n)
    name = (model.card or {}).get("name", type(model).__name__)
    rows, titles = [model.shown(inputs)], [f"input ({(model.recipe or {}).get('pairing', '')}, held-out {test.name})"]
    for method, outputs in model.classical_baselines(inputs)[:1]:  # the main one (the strip stays readable)
        rows.append(outputs)
        titles.append(f"baseline: {method}")
    rows += [model.apply(inputs), targets]
    titles += [f"{name}", "ground truth"]
    return rows, titles


def _subjects_images(model, n=6):
    """Held-out images of the model's own data (and, for a generator, as many of its samples)."""
    from zoo.data import scale_images

    test = model.data("test")
    real = scale_images(test.first(n))
    what = f"{n} held-out images of {test.name}"
    if "samples" in model.evaluation:
        return np.concatenate([real, model.sample(n, seed=0)]), f"{what}, then {n} generated"
    return real, what


def render(model, kind, path):
    import warnings

    with warnings.catch_warnings():  # Keras warns about tf-keras-vis passing inputs as a list
        warnings.filterwarnings("ignore", message="The structure of `inputs`")
        _render(model, kind, path)


def _render(model, kind, path):
    if not isinstance(model, (str, Path)):
        check_kind(model, kind)
    if kind in ("saliency", "gradcam"):
        images, what = _subjects_images(model)
        _, _, target = subject(model)
        if kind == "saliency":
            rows = [images, saliency_maps(model, images), saliency_maps(model, images, smooth_samples=20)]
            titles = [f"input: {what}", f"saliency of the {target}", "SmoothGrad (20 samples)"]
        else:
            rows = [images, gradcam_maps(model, images)]
            titles = [f"input: {what}", f"Grad-CAM++ of the {target}"]
        _figure_of_rows(rows, titles, path, cmap_rows=range(1, len(rows)))
    elif kind == "activation":
        maxima = class_maximisations(model)
        names = model.class_names or tuple(str(c) for c in range(len(maxima)))
        _figure_of_rows([maxima], [f"activation maximisation of classes {', '.join(names[: len(maxima)])}"], path)
    elif kind == "interpolate":
        grid = interpolation_grid(model)
        _figure_of_rows(list(grid), ["latent walk (slerp) between two seeds"] + [""] * (len(grid) - 1), path)
    elif kind == "latent":
        from zoo.data import scale_images

        test = model.data("test")
        ours, how, pca = latent_projection(model, scale_images(test.first(5000)))
        labels = test.labels[:5000]
        names = test.class_names
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        name = (model.card or {}).get("name", type(model).__name__)
        fig, axes = plt.subplots(1, 2, figsize=(10, 4.6))
        for ax, points, title in (
            (axes[0], ours, f"{name}: {how}"),
            (axes[1], pca, "PCA of the pixels (2 components)"),
        ):
            dots = ax.scatter(
                points[:, 0],
                points[:, 1],
                c=labels,
                cmap="tab10" if len(names) <= 10 else "turbo",
                s=6,
                vmin=-0.5,
                vmax=len(names) - 0.5,
            )
            ax.set_title(title, fontsize=9)
            ax.set_xticks([]), ax.set_yticks([])
        bar = fig.colorbar(dots, ax=axes, ticks=range(len(names)), label=f"class ({test.name})")
        if len(names) <= 20:
            bar.ax.set_yticklabels(list(names))
        fig.savefig(path, dpi=100)
        plt.close(fig)
    elif kind == "forecast":
        _render_forecast(model, path)
    elif kind == "attention":
        _render_attention(model, path)
    elif kind in ("confusion", "anomalies"):
        from zoo import vis_series

        (vis_series.render_confusion if kind == "confusion" else vis_series.render_anomalies)(model, path)
    elif kind == "captions":
        _render_captions(model, path)
    elif kind == "pairs":
        _figure_of_rows(*pair_strips(model), path)
    elif kind == "curves":
        series = history(model)
        if not series:
            raise ValueError("no per-epoch history found (card 'training.history' or log.csv)")
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, len(series), figsize=(3 * len(series), 2.6), squeeze=False)
        for ax, (key, values) in zip(axes[0], sorted(series.items())):
            ax.plot(range(1, len(values) + 1), values)
            ax.set_title(key, fontsize=9)
            ax.set_xlabel("epoch", fontsize=8)
        fig.tight_layout()
        fig.savefig(path, dpi=100)
        plt.close(fig)
    else:
        raise ValueError(f"unknown kind '{kind}'; choose one of {', '.join(KINDS)}")


def main(argv=None):
    import zoo
    from zoo import checks
    from zoo.errors import ZooError, cli_parser

    p = cli_parser(prog="python -m zoo.vis", description=__doc__.split("\n\n")[1].split("\nEvery function")[0])
    p.add_argument("name", help="pretrained entry or training output folder")
    p.add_argument(
        "--kind",
        required=True,
        choices=KINDS,
        help="saliency, gradcam: GANs with a single-input discriminator and classifiers; activation: classifiers; "
        "interpolate: GANs and the VAE; latent: autoencoders; forecast: forecasters; attention: seq2seq models; "
        "captions: captioners; pairs: image-to-image models (input / baseline / output / truth); confusion: sequence "
        "classifiers (held-out confusion matrix and sequences per class); anomalies: series autoencoders (the test "
        "series, point scores, threshold and labels); curves: every model",
    )
    p.add_argument("--out", required=True, help="PNG file to write (must end in .png)")
    args = p.parse_args(argv)
    checks.flag(p, checks.output_file, args.out, ".png")
    try:
        model = zoo.load(args.name)
        if args.kind == "curves" and Path(args.name).is_dir():
            model = args.name
        print(f"... rendering {args.kind} of {args.name}", file=sys.stderr, flush=True)
        render(model, args.kind, args.out)
    except (ZooError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
