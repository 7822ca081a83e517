"""What every zoo.vis figure module shares: the kind check and the PNG writer."""


def check_kind(model, kind):
    """Raise ValueError unless `kind` is one of the model's declared `vis_kinds`."""
    if kind not in model.vis_kinds:
        raise ValueError(
            f"--kind {kind} does not apply to a {model.architecture}; it offers: {', '.join(model.vis_kinds)}"
        )


def save_png(fig, path):
    """Lay out, write as PNG at 100 dpi, and free the figure."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
