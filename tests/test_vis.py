"""Visual diagnosis: maps have the image's shape and are not constant; every kind renders a PNG."""

import numpy as np
import pytest
from conftest import run_cli, tiny_dcgan

from zoo import registry, vis, vis_series


@pytest.fixture(scope="module")
def gan():
    import keras

    keras.utils.set_random_seed(1234)  # a module fixture is built before the per-test seeding: seed it here
    model = tiny_dcgan(image_shape=(28, 28, 1))
    model.card = {
        "training": {
            "history": [{"epoch": 1, "d_loss": 1.3, "g_loss": 0.7}, {"epoch": 2, "d_loss": 1.2, "g_loss": 0.9}]
        }
    }
    from zoo.data import load_images

    return model.attach_recipe(load_images("mnist5k", "train").recipe())  # maps are drawn on the run's own test images


def real_digits(n=3):
    from zoo.data import load_images, scale_images

    return scale_images(load_images("mnist5k", "test").images[:n])


@pytest.mark.slow
@pytest.mark.parametrize("maps", [vis.saliency_maps, vis.gradcam_maps])
def test_discriminator_maps_have_image_shape_and_vary(gan, maps):
    images = np.concatenate([real_digits(), gan.sample(3)])
    result = maps(gan, images)
    assert result.shape == (6, 28, 28)
    assert np.all(np.isfinite(result)) and all(m.std() > 0 for m in result)


@pytest.mark.slow
def test_classifier_maps_and_class_maximisation():
    classifier = registry.load("classifier-mnist")
    images = real_digits(4)
    for maps in (vis.saliency_maps(classifier, images, smooth_samples=4), vis.gradcam_maps(classifier, images)):
        assert maps.shape == (4, 28, 28) and all(m.std() > 0 for m in maps)
    maxima = vis.class_maximisations(classifier, classes=[3, 7], steps=30)
    assert maxima.shape == (2, 28, 28, 1) and 0 <= maxima.min() and maxima.max() <= 1
    # each image maximises its own class more than the other one
    logits = np.asarray(classifier(maxima))
    assert logits[0, 3] > logits[0, 7] and logits[1, 7] > logits[1, 3]


def test_interpolation_starts_and_ends_at_the_seeds(gan):
    walk = vis.interpolation_grid(gan, pairs=2, steps=5, seed=3)
    assert walk.shape == (2, 5, 28, 28, 1)
    ends = gan.endpoints()["sample"](z=gan.latents(4, seed=3))["images"]
    np.testing.assert_allclose(walk[0, 0], ends[0], atol=1e-5)
    np.testing.assert_allclose(walk[1, -1], ends[3], atol=1e-5)
    assert not np.allclose(walk[0, 1], walk[0, 3])


def test_slerp_keeps_the_norm_of_orthogonal_unit_vectors():
    a, b = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    assert np.linalg.norm(vis.slerp(a, b, 0.5)) == pytest.approx(1.0)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["saliency", "gradcam", "interpolate", "curves"])
def test_every_kind_renders_a_png(gan, kind, tmp_path):
    path = tmp_path / f"{kind}.png"
    vis.render(gan, kind, path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_curves_of_a_run_folder_and_cli_errors(tmp_path):
    (tmp_path / "log.csv").write_text("epoch,d_loss,g_loss\n0,1.4,0.6\n1,1.3,0.8\n")
    assert vis.history(tmp_path) == {"d_loss": [1.4, 1.3], "g_loss": [0.6, 0.8]}
    bad = run_cli("zoo.vis", "classifier-mnist", "--kind", "heatmap", "--out", str(tmp_path / "x.png"))
    assert bad.returncode == 2 and "invalid choice: 'heatmap'" in bad.stderr


@pytest.mark.slow
def test_other_gan_families_walk_and_explain():
    import zoo

    cgan = zoo.ConditionalGAN(latent_dim=8, image_shape=(28, 28, 1), width=4)
    walk = vis.interpolation_grid(cgan, pairs=3, steps=4)
    assert walk.shape == (3, 4, 28, 28, 1)
    with pytest.raises(ValueError, match="single-input discriminator"):
        vis.saliency_maps(cgan, real_digits(2))
    from zoo.data import load_images

    style = zoo.StyleGANLite(channels=(4, 4, 4, 4), d_width=2, w_dim=8, latent_dim=8)
    style.attach_recipe(load_images("mnist5k-32", "train").recipe())
    assert vis.interpolation_grid(style, pairs=2, steps=3).shape == (2, 3, 32, 32, 1)
    images, _ = vis._subjects_images(style, n=2)
    assert images.shape == (4, 32, 32, 1)
    assert vis.gradcam_maps(style, images).shape == (4, 32, 32)


@pytest.mark.slow
def test_sequence_classifier_confusion_and_anomaly_plots(tmp_path):
    """`--kind confusion` (sequence classifiers, also on sequences of different lengths) and `--kind
    anomalies` (the series autoencoder) through `python -m zoo.vis`; their arrays match the cards."""
    import zoo

    vowels = zoo.load("bilstm-japanesevowels")
    counts, names, test, _ = vis_series.confusion(vowels)
    assert counts.shape == (9, 9) and counts.sum() == len(test) == 370
    assert np.trace(counts) / counts.sum() == pytest.approx(vowels.card["metrics"]["test_accuracy"], abs=1e-9)
    for entry, kind in (("bilstm-japanesevowels", "confusion"), ("lstm-ae-kdd-tsad-135", "anomalies")):
        drawn = run_cli("zoo.vis", entry, "--kind", kind, "--out", str(tmp_path / f"{kind}.png"))
        assert drawn.returncode == 0, drawn.stderr
        assert (tmp_path / f"{kind}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    wrong = run_cli("zoo.vis", "lstm-ae-kdd-tsad-135", "--kind", "confusion", "--out", str(tmp_path / "x.png"))
    assert wrong.returncode == 2 and "it offers: anomalies, curves" in wrong.stderr
    assert not (tmp_path / "x.png").exists()
