"""One tiny model of every architecture, with a batch it trains on: the shared test battery's subjects."""

import numpy as np

import zoo
from zoo import music
from zoo.autoencoders import TYPES
from zoo.sequence import (
    CharLanguageModel,
    Forecaster,
    ImageCaptioner,
    MusicLanguageModel,
    Seq2Seq,
    SequenceClassifier,
    SeriesAutoencoder,
    SeriesClassifier,
)

rng = np.random.default_rng(0)
X = rng.random((8, 8, 8, 1), dtype=np.float32)
LABELS = (np.arange(8) % 10).astype(np.int32)
FAMILIES = {
    "dcgan": (lambda: zoo.DCGAN(latent_dim=4, image_shape=(8, 8, 1), width=2), X),
    "wgan-gp": (lambda: zoo.WGANGP(latent_dim=4, image_shape=(8, 8, 1), width=2, n_critic=2), X),
    "cgan": (lambda: zoo.ConditionalGAN(latent_dim=4, image_shape=(8, 8, 1), width=2), (X, LABELS)),
    "cyclegan": (lambda: zoo.CycleGAN(image_shape=(8, 8, 1), width=2), (X, X[::-1])),
    "stylegan": (lambda: zoo.StyleGANLite(image_shape=(8, 8, 1), channels=(4, 4), w_dim=4, latent_dim=4, d_width=2), X),
    "srgan": (lambda: zoo.SRGAN(input_shape=(4, 4, 1), scale=2, blocks=1, width=2, d_width=2), (X[:, ::2, ::2], X)),
    "pix2pix": (
        lambda: zoo.Pix2Pix(input_shape=(8, 8, 1), output_shape=(8, 8, 1), depth=1, width=2, d_width=2),
        (X, X[::-1]),
    ),
    "text2image": (
        lambda: zoo.TextToImageGAN(
            vocabulary=["cat", "face", "red"], latent_dim=4, image_shape=(8, 8, 3), width=2, embed_dim=3, text_length=4
        ),
        (np.array([[1, 2, 0, 0], [3, 0, 0, 0]] * 4, np.int32), rng.random((8, 8, 8, 3), dtype=np.float32)),
    ),
    "classifier": (lambda: zoo.Classifier(image_shape=(8, 8, 1), width=2), (X, LABELS)),
    "forecaster": (
        lambda: Forecaster(window=6, horizon=3, units=4),
        (rng.random((8, 6, 1), dtype=np.float32), rng.random((8, 3), dtype=np.float32)),
    ),
    "row-classifier": (lambda: SequenceClassifier(features=8, steps=8, units=4), (X, LABELS)),
    "series-autoencoder": (
        lambda: SeriesAutoencoder(window=6, features=2, units=4),
        (rng.standard_normal((8, 6, 2)).astype(np.float32),) * 2,
    ),
    "series-classifier": (
        lambda: SeriesClassifier(features=2, num_classes=3, steps=6, units=4, cell="bilstm"),
        (rng.standard_normal((8, 6, 2)).astype(np.float32), (np.arange(8) % 3).astype(np.int32)),
    ),
    "char-lm": (
        lambda: CharLanguageModel(vocabulary="abcdef", units=4, context=5),
        (rng.integers(0, 6, (8, 5)).astype(np.int32),) * 2,
    ),
    "music-lm": (
        lambda: MusicLanguageModel(
            vocabulary="".join(sorted("\nMm" + "".join(music.note_token(p, 4) for p in (60, 62, 64)))),
            units=4,
            context=5,
        ),
        (rng.integers(0, 6, (8, 5)).astype(np.int32),) * 2,
    ),
    "seq2seq": (
        lambda: Seq2Seq("abcdef|", "0123-", units=4, embedding_dim=3, source_length=7, target_length=4),
        (
            np.pad(rng.integers(3, 10, (8, 5)), ((0, 0), (0, 2))).astype(np.int32),
            np.concatenate([rng.integers(3, 8, (8, 3)), np.full((8, 1), 2)], axis=1).astype(np.int32),
        ),
    ),
    "captioner": (
        lambda: ImageCaptioner("abc-", image_shape=(8, 8, 1), width=2, units=4, embedding_dim=3, target_length=4),
        (X, np.concatenate([rng.integers(3, 7, (8, 3)), np.full((8, 1), 2)], axis=1).astype(np.int32)),
    ),
    **{
        f"ae-{kind}": (
            (
                lambda cls=cls, kind=kind: cls(
                    image_shape=(8, 8, 1), latent_dim=4, **({"width": 2} if kind == "conv" else {})
                )
            ),
            X,
        )
        for kind, cls in TYPES.items()
    },
}
