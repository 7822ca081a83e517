"""zoo.vis for sequence models: a classifier's held-out confusion matrix beside test sequences of
each class (`--kind confusion`), and a series autoencoder's held-out series with its labelled
anomalies, flagged points and point scores (`--kind anomalies`). Each function returns its arrays."""

from __future__ import annotations

import numpy as np

from zoo.vis_common import check_kind, save_png


def confusion(model):
    """(counts [K, K] true x predicted, class names, test split) of a sequence classifier on its
    held-out split, as its card's accuracy is measured."""
    check_kind(model, "confusion")
    test = model.data("test")
    lengths = getattr(test, "lengths", None)
    predicted = model.probabilities(test.inputs, lengths if model.variable_length else None).argmax(1)
    names = model.class_names or tuple(str(c) for c in range(model.num_classes))
    counts = np.zeros((len(names), len(names)), np.int64)
    np.add.at(counts, (np.asarray(test.targets), predicted), 1)
    return counts, names, test, predicted


def render_confusion(model, path, per_class=4):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    counts, names, test, predicted = confusion(model)
    k = len(names)
    columns = min(k, 5)
    rows = -(-k // columns)
    fig = plt.figure(figsize=(4.2 + 2.4 * columns, max(3.6, 2.0 * rows)))
    grid = fig.add_gridspec(rows, columns + 2)
    ax = fig.add_subplot(grid[:, :2])
    ax.imshow(counts, cmap="Blues")
    for (i, j), n in np.ndenumerate(counts):
        ax.text(j, i, str(n), ha="center", va="center", fontsize=7, color="white" if n > counts.max() / 2 else "black")
    ax.set_xticks(range(k), names, rotation=90 if k > 4 else 0, fontsize=7)
    ax.set_yticks(range(k), names, fontsize=7)
    ax.set_xlabel("predicted", fontsize=8), ax.set_ylabel("true", fontsize=8)
    accuracy = np.trace(counts) / counts.sum()
    ax.set_title(f"held-out confusion ({counts.sum()} sequences, accuracy {accuracy:.1%})", fontsize=8)
    lengths = getattr(test, "lengths", None)
    for c in range(k):  # a few test sequences per true class (channel 0): green right, red wrong
        panel = fig.add_subplot(grid[c // columns, 2 + c % columns])
        for i in np.flatnonzero(np.asarray(test.targets) == c)[:per_class]:
            n = int(lengths[i]) if lengths is not None else test.inputs.shape[1]
            right = predicted[i] == c
            panel.plot(test.inputs[i, :n, 0], color="tab:green" if right else "tab:red", lw=1)
        panel.set_title(f"true {names[c]}", fontsize=8)
        panel.tick_params(labelsize=6)
    name = (model.card or {}).get("name", "model")
    fig.suptitle(f"{name}: test sequences per class, channel 0 (green: classified right, red: wrong)", fontsize=9)
    save_png(fig, path)


def render_anomalies(model, path):
    """The labelled test series, its point scores against the calibrated threshold, the labelled
    anomalies shaded and the points `detect` flags marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    check_kind(model, "anomalies")
    test = model.data("test")
    series, labels = test.info["series"], test.info["labels"]
    scores = model.point_scores(series)
    flagged = scores > model.threshold
    steps = np.arange(len(series))
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(11, 4.6), sharex=True)
    for ax in (top, bottom):
        for start, stop in _runs(labels == 1):
            ax.axvspan(start - 0.5, stop - 0.5, color="tab:orange", alpha=0.3, lw=0)
    top.plot(steps, series[:, 0], color="black", lw=0.6)
    top.scatter(steps[flagged], series[flagged, 0], color="tab:red", s=6, zorder=3, label="flagged by detect()")
    top.set_title("held-out series (channel 0); orange: labelled anomalies", fontsize=9)
    top.legend(fontsize=7, loc="upper left")
    bottom.plot(steps, scores, color="tab:purple", lw=0.8, label="point score (mean reconstruction MSE)")
    bottom.axhline(model.threshold, color="tab:red", ls="--", lw=1, label="threshold (99th pct. of training scores)")
    bottom.set_yscale("log")
    bottom.set_xlabel("step", fontsize=8)
    bottom.legend(fontsize=7, loc="upper left")
    save_png(fig, path)


def _runs(mask):
    """[(start, stop)] of the True runs in a boolean array."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)))
