"""Every shipped entry loads offline with its checked weights, its card says how it was made, and
its headline figure is reproduced from the shipped weights (so card and weights belong together)."""

import numpy as np
import pytest

import zoo
from zoo.data import load_images, scale_images

AUTOENCODERS = [
    "ae-vanilla-mnist",
    "ae-linear-mnist",
    "ae-undercomplete-mnist",
    "ae-overcomplete-mnist",
    "ae-sparse-mnist",
    "ae-denoising-mnist",
    "ae-contractive-mnist",
    "ae-conv-mnist",
    "vae-mnist",
    "ae-conv-emoji",
    "vae-emoji",
]
#: the unconditional colour generators: FID beside its floor, within 6x of it (the colour issue's aim)
EMOJI_GENERATORS = ["dcgan-emoji", "wgan-gp-emoji", "stylegan-lite-emoji"]
SERIES_CLASSIFIERS = ["bilstm-gunpoint", "bilstm-italypowerdemand", "bilstm-basicmotions", "bilstm-japanesevowels"]
SEQUENCE = [
    "lstm-stacked-sunspots",
    "lstm-quantile-sunspots",
    "gru-seattle-weather",
    *SERIES_CLASSIFIERS,
    "bilstm-mnist-rows",
    "gru-char-pydoc",
    "gru-attention-dates",
    "captioner-mnist-pairs",
    "lstm-ae-kdd-tsad-135",
]

IMAGE_TO_IMAGE = [
    "srgan-mnist",
    "srgan-emoji",
    "pix2pix-edges-mnist",
    "pix2pix-grey-photos",
    "pix2pix-edges-emoji",
    "pix2pix-grey-emoji",
]


#: every entry the zoo ships: tests use them without asking whether they are there (a missing one
#: fails here, and wherever it is used, instead of skipping)
SHIPPED = (
    *("dcgan-mnist", "cgan-mnist", "wgan-gp-mnist", "cyclegan-mnist-digits", "stylegan-lite-mnist"),
    *EMOJI_GENERATORS,
    "cgan-emoji",
    *IMAGE_TO_IMAGE,
    "classifier-mnist",
    "classifier-emoji",
    "classifier-emoji-both",
    "cyclegan-emoji-noto-twemoji",
    "text2image-emoji",
    "gru-bach-chorales",
    *AUTOENCODERS,
    *SEQUENCE,
)


def test_the_shipped_entries_are_exactly_the_required_ones():
    assert sorted(SHIPPED) == zoo.available()


@pytest.mark.slow
@pytest.mark.parametrize("name", IMAGE_TO_IMAGE)
def test_image_to_image_entry_reproduces_its_held_out_figures(name):
    model = zoo.load(name)
    card = model.card["metrics"]
    found = model.held_out_metrics(model.data("test"))
    for key in ("l1", "psnr", "ssim", "fid", "label_accuracy"):
        if key in card:
            assert found[key] == pytest.approx(card[key], rel=1e-4, abs=1e-4), key
    if "baseline" in card:
        assert found["baseline"]["psnr"] == pytest.approx(card["baseline"]["psnr"], rel=1e-4)


@pytest.mark.parametrize("name", zoo.available())
def test_card_records_how_it_was_trained(name):
    card = zoo.card(name)
    assert card["training"]["commands"] and "--seed" in card["training"]["commands"][0]
    assert card["weights"]["sha256"] and card["metrics"]


@pytest.fixture(scope="module")
def test_digits():
    return scale_images(load_images("mnist5k", "test").images)


@pytest.mark.parametrize("name", AUTOENCODERS)
def test_autoencoder_reproduces_its_card(name):
    model = zoo.load(name)
    card = model.card["metrics"]
    mse = float(np.mean(model.anomaly_score(scale_images(model.data("test").images))))  # its own data's test split
    assert mse == pytest.approx(card["test_mse"], rel=1e-4)
    assert model.threshold == pytest.approx(card["anomaly"]["threshold"], rel=1e-6)
    assert card["noise_to_test_mse_ratio"] > 3  # not an identity map: off-manifold inputs reconstruct badly


def test_linear_autoencoder_spans_the_principal_subspace():
    check = zoo.card("ae-linear-mnist")["metrics"]["pca_comparison"]
    assert check["largest_principal_angle_degrees"] < 5 and check["mse_ratio_ae_to_pca"] < 1.05


def test_forecaster_beats_both_naive_forecasts():
    model = zoo.load("lstm-stacked-sunspots")
    metrics = model.held_out_metrics(model.data("test"))
    assert metrics["model"]["mae"] == pytest.approx(model.card["metrics"]["model"]["mae"], rel=1e-4)
    assert metrics["model"]["mae"] < metrics["naive"]["mae"]
    assert metrics["model"]["mae"] < metrics["seasonal_naive_period_11"]["mae"]
    # The card's classical figures are reproduced too (including the AR(11) the LSTM loses to).
    for family in ("autoreg", "ets", "arima"):
        card = model.card["metrics"][family]
        assert metrics[family]["config"] == card["config"]
        assert metrics[family]["mae"] == pytest.approx(card["mae"], rel=1e-6)


def test_table_forecaster_reproduces_its_card_and_beats_every_baseline():
    """gru-seattle-weather reads four columns of a bundled CSV (target + 3 covariates): its card's
    MAE is reproduced, and it beats the naive, seasonal-naive and all four classical models."""
    model = zoo.load("gru-seattle-weather")
    card = model.card["metrics"]
    metrics = model.held_out_metrics(model.data("test"))
    assert model.features == 4 and model.columns["covariates"] == ["precipitation", "temp_min", "wind"]
    assert metrics["model"]["mae"] == pytest.approx(card["model"]["mae"], rel=1e-4)
    for row in ("naive", "seasonal_naive_period_7", "autoreg", "ets", "arima", "theta"):
        assert metrics[row]["mae"] == pytest.approx(card[row]["mae"], rel=1e-6), row
        assert metrics["model"]["mae"] < metrics[row]["mae"], row


@pytest.mark.parametrize("name", SERIES_CLASSIFIERS)
def test_series_classifier_reproduces_its_card_and_its_baselines(name):
    """The network's test accuracy and the 1-NN / ROCKET baselines in the card, from the shipped
    weights and aeon's published split."""
    model = zoo.load(name)
    card = model.card["metrics"]
    metrics = model.held_out_metrics(model.data("test"))
    assert metrics["test_accuracy"] == pytest.approx(card["test_accuracy"], abs=1e-9)
    for baseline in ("nn_euclidean", "nn_dtw", "rocket"):
        if "not_measured" in card[baseline]:  # 1-NN Euclidean on sequences of different lengths
            assert metrics[baseline] == card[baseline]
            continue
        assert metrics[baseline]["test_accuracy"] == pytest.approx(card[baseline]["test_accuracy"], abs=1e-9)
    assert metrics["test_accuracy"] > 1.5 * metrics["chance"]


def test_row_classifier_accuracy(test_digits):
    model = zoo.load("bilstm-mnist-rows")
    accuracy = float(np.mean(model.probabilities(test_digits).argmax(1) == load_images("mnist5k", "test").labels))
    assert accuracy == pytest.approx(model.card["metrics"]["test_accuracy"], abs=1e-6)
    assert accuracy > 0.9


def test_char_lm_card_compares_with_compressors_on_the_scored_text():
    from zoo.sequence.charlm import TEST_FRACTION, compressor_bits_per_char, load_text

    model = zoo.load("gru-char-pydoc")
    card = model.card["metrics"]
    text, _ = load_text("pydoc")
    cut = int(len(text) * (1 - TEST_FRACTION))
    scored = text[cut + 1 : cut + 1 + card["test_characters"]]
    test = model.data("test")
    assert [model.vocabulary.index(c) for c in scored] == test.targets.reshape(-1).tolist()  # the same characters
    assert compressor_bits_per_char(text[:cut], scored) == card["compressors_bits_per_char"]  # deterministic
    # What the card says in words: the GRU beats gzip either way and xz alone, and loses to xz given the
    # training text (it copies long repeated passages of the docs).
    compressors = card["compressors_bits_per_char"]
    assert card["test_bits_per_char"] < min(compressors["gzip-9"].values()) and (
        card["test_bits_per_char"] < compressors["xz-9"]["alone"]
    )
    assert compressors["xz-9"]["after_training_text"] < card["test_bits_per_char"]


def test_quantile_forecaster_reproduces_its_card_and_beats_the_classical_models():
    model = zoo.load("lstm-quantile-sunspots")
    card = model.card["metrics"]
    metrics = model.held_out_metrics(model.data("test"))
    assert metrics["model"]["mae"] == pytest.approx(card["model"]["mae"], rel=1e-4)
    assert metrics["quantiles"]["coverage"] == pytest.approx(card["quantiles"]["coverage"])
    # What the README says: its median beats every baseline, AR(11) included; the 80% band over-covers.
    assert metrics["model"]["mae"] < min(metrics[k]["mae"] for k in ("naive", "autoreg", "ets", "arima"))
    assert metrics["quantiles"]["coverage"] > 0.8


def test_emoji_classifier_reproduces_its_card_and_is_fit_to_judge_emoji():
    """classifier-emoji is the feature network of every emoji metric: its held-out accuracy is in its
    card, clearly above the commonest category's share, and its features pass the sanity check."""
    from zoo.data import load_images, scale_images
    from zoo.evaluation import features, sanity

    model = zoo.load("classifier-emoji")
    test = load_images("emoji", "test", image_size=32)
    accuracy = float(np.mean(model.probabilities(scale_images(test.images)).argmax(1) == test.labels))
    assert accuracy == pytest.approx(model.card["metrics"]["test_accuracy"], abs=1e-6)
    big = load_images("emoji", "test")
    judge = features.choose(big.recipe())  # 64x64 emoji: averaged over 2x2 blocks, the same as --image-size 32
    assert judge.name == "classifier-emoji" and "2x2 blocks" in judge.protocol()
    report = sanity.check(judge, big, scale_images(big.images))
    assert report["ok"] and report["accuracy"] == pytest.approx(accuracy, abs=0.01) and report["accuracy"] > 0.75


def test_the_two_style_emoji_classifier_reads_both_styles_and_judges_what_involves_twemoji():
    """classifier-emoji reads Twemoji poorly (trained on Noto); classifier-emoji-both is the judge of
    what involves Twemoji: its card's accuracies come back per style, both well above the commonest
    category's share, and features.choose picks it for Twemoji data and for Noto <-> Twemoji."""
    from zoo.data import load_images, scale_images
    from zoo.evaluation import features, sanity

    model = zoo.load("classifier-emoji-both")
    metrics = model.card["metrics"]
    for name, key in (("emoji", "noto"), ("emoji-twitter", "twemoji")):
        test = load_images(name, "test", image_size=32)
        accuracy = float(np.mean(model.probabilities(scale_images(test.images)).argmax(1) == test.labels))
        assert accuracy == pytest.approx(metrics[f"test_accuracy_{key}"], abs=1e-6) and accuracy > 0.75
        judge = features.load_classifier("classifier-emoji-both", (32, 32, 3))
        assert sanity.check(judge, test, scale_images(test.images))["ok"]
    twemoji = load_images("emoji-twitter", "test", image_size=32).recipe()
    noto = load_images("emoji", "test", image_size=32).recipe()
    assert features.choose(twemoji).name == "classifier-emoji-both"
    assert features.choose({"kind": "unpaired", "a": noto, "b": twemoji, "image_shape": [32, 32, 3]}).name == (
        "classifier-emoji-both"
    )
    assert features.choose(noto).name == "classifier-emoji"  # Noto alone: the judge of the shipped cards


@pytest.mark.slow
def test_the_emoji_style_transfer_reproduces_its_card_against_the_true_pairs():
    """cyclegan-emoji-noto-twemoji: the card's paired figures and baselines come back from the shipped
    weights; what the docs say of it holds (a little ahead of the identity on L1, behind it on SSIM)."""
    from zoo.evaluation.evaluate import evaluate

    model = zoo.load("cyclegan-emoji-noto-twemoji")
    card, found = model.card["metrics"], evaluate(model)
    for direction in ("a_to_b", "b_to_a"):
        for key in ("l1", "psnr", "ssim", "fid", "fid_floor", "label_kept"):
            assert found[f"{direction}_{key}"] == pytest.approx(card[f"{direction}_{key}"], rel=1e-3), key
        identity = found[f"{direction}_baselines"]["identity"]
        assert identity == pytest.approx(card[f"{direction}_baselines"]["identity"], rel=1e-3)
        assert found[f"{direction}_l1"] < identity["l1"] and found[f"{direction}_ssim"] < identity["ssim"]
    assert any("b_to_a FID cannot rank" in c for c in found["caveats"])


@pytest.mark.slow
@pytest.mark.parametrize("name", EMOJI_GENERATORS)
def test_emoji_generator_reproduces_its_card_beside_its_floor(name):
    """An emoji generator's FID in classifier-emoji features, and its floor (real train vs real test
    emoji), come back from the shipped weights as its card states them; within 6x the floor."""
    from zoo.evaluation.evaluate import evaluate

    model = zoo.load(name)
    card = model.card["metrics"]
    again = evaluate(model)
    assert again["fid"] == pytest.approx(card["fid"], rel=1e-3)
    assert again["floor"]["fid"] == pytest.approx(card["floor"]["fid"], rel=1e-3)
    assert "classifier-emoji" in card["protocol"]["feature_network"] and card["feature_check"]["ok"]
    assert card["floor"]["fid"] < card["fid"] < 6 * card["floor"]["fid"]
    assert model.sample(2, seed=0).shape == (2, 32, 32, 3)
    # not copies: samples lie farther from their nearest training emoji than held-out emoji do
    train = scale_images(load_images("emoji", "train", image_size=32).images).reshape(-1, 32 * 32 * 3)
    test = scale_images(load_images("emoji", "test", image_size=32).images).reshape(-1, 32 * 32 * 3)

    def nearest(x):
        d = (x**2).sum(1)[:, None] + (train**2).sum(1)[None] - 2 * x @ train.T
        return np.median(np.sqrt(np.maximum(d.min(1), 0) / x.shape[1]))

    assert nearest(model.sample(len(test), seed=0).reshape(len(test), -1)) > nearest(test)


@pytest.mark.slow
def test_emoji_cgan_card_holds_its_category_accuracy_beside_the_judges_own():
    """cgan-emoji: how often classifier-emoji reads the requested category in its samples, next to
    how often it reads real test emoji right (the most a generator could be credited with)."""
    from zoo.evaluation import features

    model = zoo.load("cgan-emoji")
    card = model.card["metrics"]
    again = model.class_accuracy(features.choose(model.recipe))
    assert again["class_accuracy"] == pytest.approx(card["class_accuracy"], abs=1e-6)
    judge = zoo.card("classifier-emoji")["metrics"]["test_accuracy"]
    assert 1 / 9 < card["class_accuracy"] < judge and card["floor"]["fid"] < card["fid"]


def test_series_anomaly_entry_reproduces_its_card_and_its_threshold_protocol():
    """lstm-ae-kdd-tsad-135: AUC, best F1 and the UCR hit beside the classical detectors, from the
    shipped weights; its threshold is what the card's protocol says (the 99th percentile of the
    training series' point scores), and it catches the labelled anomaly."""
    model = zoo.load("lstm-ae-kdd-tsad-135")
    card = model.card["metrics"]
    train = model.data("train").info["series"]
    assert model.threshold == pytest.approx(np.percentile(model.point_scores(train), 99), rel=1e-5)
    again = model.held_out_metrics(model.data("test"))
    for row in ("model", "rolling_zscore", "isolation_forest", "matrix_profile_discord"):
        assert again[row]["auc_roc"] == pytest.approx(card[row]["auc_roc"], abs=1e-6), row
        assert again[row]["ucr_hit"] == card[row]["ucr_hit"], row
    assert again["anomalous_points_flagged"] == card["anomalous_points_flagged"] == card["anomalous_points"]
    assert card["model"]["auc_roc"] > card["matrix_profile_discord"]["auc_roc"]


def test_srgan_emoji_upscales_a_larger_image_tile_by_tile_better_than_bicubic():
    """Four held-out 16x16 emoji side by side (32x32): tiled x4 beats bicubic on the 64x64 truths."""
    from zoo.evaluation.metrics import psnr
    from zoo.gan.srgan import bicubic

    model = zoo.load("srgan-emoji")
    truth = scale_images(model.data("test").targets.first(4))  # [4, 64, 64, 3]
    small = truth.reshape(4, 16, 4, 16, 4, 3).mean(axis=(2, 4))
    mosaic = np.concatenate([np.concatenate(small[:2], axis=1), np.concatenate(small[2:], axis=1)], axis=0)[None]
    big = model.upscale(mosaic, tile=True)[0]  # [128, 128, 3]
    quads = np.stack([big[:64, :64], big[:64, 64:], big[64:, :64], big[64:, 64:]])
    assert big.shape == (128, 128, 3)
    assert np.mean(psnr(quads, truth)) > np.mean(psnr(bicubic(small, (64, 64)), truth)) + 2


@pytest.mark.slow
def test_text2image_reproduces_its_card_beside_retrieval():
    model = zoo.load("text2image-emoji")
    card = model.card["metrics"]
    found = model.held_out_metrics(model.data("test"))
    for part in ("model", "retrieval_baseline"):
        for key, value in card[part].items():
            assert found[part][key] == pytest.approx(value, rel=1e-4, abs=1e-4), (part, key)
    assert found["fid_floor"] == pytest.approx(card["fid_floor"], rel=1e-4)
    assert found["model"]["median_rank"] < found["chance_median_rank"] / 4  # the words steer the drawing


def test_text2image_draws_free_prompts_and_refuses_bad_ones():
    from zoo.errors import InputError

    model = zoo.load("text2image-emoji")
    images = model.generate(["smiling cat", "red car"], seed=0)
    assert images.shape == (2, 32, 32, 3) and 0 <= images.min() and images.max() <= 1
    red = images[1][..., 0].mean() - images[1][..., 1:].mean()
    assert red > 0.05  # a red car comes out red
    for bad in ([""], ["qqq xqx"], "smiling cat"):
        with pytest.raises(InputError):
            model.generate(bad)
    with pytest.raises(InputError, match="one per prompt"):
        model.generate(["cat", "car"], z=np.zeros((3, 64), np.float32))


@pytest.mark.slow
def test_gru_bach_chorales_reproduces_its_card_beside_the_ngrams():
    model = zoo.load("gru-bach-chorales")
    card = model.card["metrics"]
    found = model.held_out_metrics(model.data("test"))
    assert found["test_nats_per_token"] == pytest.approx(card["test_nats_per_token"], rel=1e-4)
    assert found["ngram_nats_per_token"] == pytest.approx(card["ngram_nats_per_token"], rel=1e-6)
    for label, stats in card["music"].items():
        assert found["music"][label]["pitch_class_distance"] == pytest.approx(stats["pitch_class_distance"], abs=1e-6)


def test_gru_bach_chorales_writes_a_melody_in_key():
    from zoo.errors import InputError

    piece = zoo.load("gru-bach-chorales").generate(seconds=20, seed=1, mode="minor")
    pitches = piece.pitches
    assert 0 < piece.seconds <= 20 and len(pitches) >= 10
    assert np.mean([p % 12 in {0, 2, 4, 5, 7, 8, 9, 11} for p in pitches]) > 0.8  # A minor (with its leading tone)
    assert 55 <= pitches.min() and pitches.max() <= 84  # a soprano's range
    for kwargs in ({"seconds": 0}, {"temperature": -1}, {"mode": "lydian"}):
        with pytest.raises(InputError):
            zoo.load("gru-bach-chorales").generate(**kwargs)


def test_style_transfer_refuses_an_image_of_another_size_in_one_line():
    from zoo.errors import InputError

    model = zoo.load("cyclegan-emoji-noto-twemoji")
    assert model.translate(np.zeros((1, 32, 32, 3), np.float32), "a_to_b").shape == (1, 32, 32, 3)
    with pytest.raises(InputError, match=r"shape \[N, 32, 32, 3\]"):
        model.translate(np.zeros((1, 64, 64, 3), np.float32), "a_to_b")
