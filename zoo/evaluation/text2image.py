"""Held-out figures of a text -> image model, beside its strongest simple alternative: retrieval.

Prompts are the full texts (name, short names, skin tones) of the held-out emoji, which no training
image shows. For each prompt the model draws one image (latents from seed 0), and the retrieval
baseline returns the training emoji whose text shares the most words with the prompt (ties: the
fewest other words, then the first in training order). Both are read in `classifier-emoji`:
  category read   share of images the classifier reads as the prompt's emoji's category (beside how
                  often it reads the true held-out emoji)
  FID             the images against the held-out emoji (beside the floor: real training emoji, as
                  many, against the same held-out ones)
  retrieval rank  the rank of the true emoji among all held-out emoji by feature distance to the
                  image (1 = nearest): top-1, top-5 and median (chance: median N/2)
  latent spread   RMS pixel difference between two images of the same prompt (latents from seeds 0
                  and 1), beside that between images of two different prompts (same latents): how
                  much the latent varies a drawing, against how much the words do
"""

from __future__ import annotations

import numpy as np

from zoo.serving import prompts

PROTOCOL = (
    "prompts: the text (name, short names, skin tones) of every held-out emoji ({n}); one image per prompt, "
    "latents from seed 0; read in {judge}; retrieval baseline: the training emoji sharing most words with the "
    "prompt (ties: fewest other words, then training order); rank: of the true emoji among the {n} held-out "
    "ones by Euclidean feature distance"
)


def retrieve(prompt_texts, train_texts):
    """Index of the training text sharing the most words with each prompt (ties: fewest other words,
    then the first)."""
    train_words = [set(prompts.words(t)) for t in train_texts]
    chosen = []
    for text in prompt_texts:
        wanted = set(prompts.words(text))
        scores = [(len(wanted & words), -len(words - wanted)) for words in train_words]
        chosen.append(max(range(len(scores)), key=lambda i: scores[i]))
    return np.asarray(chosen)


def ranks(generated_features, true_features):
    """Rank (1 = nearest) of true item i among all true items by distance to generated item i."""
    d = ((generated_features[:, None, :] - true_features[None, :, :]) ** 2).sum(-1)
    own = d[np.arange(len(d)), np.arange(len(d))]
    return 1 + (d < own[:, None]).sum(1)


def scored(images, judge, labels, real_features):
    from zoo.evaluation import metrics

    found = judge.features(images)
    r = ranks(found, real_features)
    return {
        "category_read": float(np.mean(judge.probabilities(images).argmax(1) == labels)),
        "fid": metrics.frechet_distance(real_features, found),
        "top1": float(np.mean(r == 1)),
        "top5": float(np.mean(r <= 5)),
        "median_rank": float(np.median(r)),
    }


def text_to_image_metrics(model, test_set):
    from zoo.evaluation import features

    judge = features.choose({"dataset": "emoji", "image_shape": list(model.image_shape)})
    train = model.data("train")
    texts, labels, real = test_set.info["texts"], np.asarray(test_set.info["labels"]), test_set.targets
    n = len(real)
    real_features = judge.features(real)
    generated = model.endpoint("generate").batched(tokens=test_set.inputs, z=model.latents(n, 0))["images"]
    retrieved = train.targets[retrieve(texts, train.info["texts"])]
    from zoo.evaluation import metrics

    again = model.endpoint("generate").batched(tokens=test_set.inputs, z=model.latents(n, 1))["images"]
    rms = lambda a, b: float(np.mean(np.sqrt(np.mean((a - b) ** 2, axis=(1, 2, 3)))))  # noqa: E731
    return {
        "protocol": PROTOCOL.format(n=n, judge=judge.protocol()),
        "model": scored(generated, judge, labels, real_features),
        "retrieval_baseline": scored(retrieved, judge, labels, real_features),
        "ground_truth": {
            "category_read": float(np.mean(judge.probabilities(real).argmax(1) == labels)),
            "median_rank": 1.0,
        },
        "fid_floor": metrics.frechet_distance(real_features, judge.features(train.targets[:n])),
        "latent_spread": {
            "same_prompt": rms(generated, again),
            "other_prompt": rms(generated, np.roll(generated, 1, axis=0)),
            "real_other_emoji": rms(real, np.roll(real, 1, axis=0)),
        },
        "chance_median_rank": float((n + 1) / 2),
        "prompts_without_known_words": int(test_set.info["without_known_words"]),
        "examples": n,
    }


def table(metrics, name="model"):
    """Markdown: the model beside retrieval, the held-out emoji, real vs real and chance; the latent spread."""

    def row(label, m):
        cells = [m.get("category_read"), m.get("fid"), m.get("top1"), m.get("top5"), m.get("median_rank")]
        digits = (3, 2, 3, 3, 1)
        return f"| {label} | " + " | ".join("—" if v is None else f"{v:.{d}f}" for v, d in zip(cells, digits)) + " |"

    n = metrics["examples"]
    spread = metrics["latent_spread"]
    return "\n".join(
        [
            f"{n} held-out emoji names as prompts ({metrics['prompts_without_known_words']} share no word with the "
            "training names); read in classifier-emoji features.",
            "",
            "| drawn by | category read ↑ | FID ↓ | top-1 ↑ | top-5 ↑ | median rank ↓ |",
            "|---|---|---|---|---|---|",
            row(name, metrics["model"]),
            row("retrieval: the training emoji sharing most words", metrics["retrieval_baseline"]),
            row("the held-out emoji themselves", {**metrics["ground_truth"], "top1": 1.0, "top5": 1.0}),
            row("real vs real: training emoji vs the held-out ones", {"fid": metrics["fid_floor"]}),
            row("chance", {"median_rank": metrics["chance_median_rank"], "top1": 1 / n, "top5": 5 / n}),
            "",
            f"Latent spread (RMS pixel difference): two latents, same prompt {spread['same_prompt']:.3f}; "
            f"same latent, two prompts {spread['other_prompt']:.3f}; two real emoji {spread['real_other_emoji']:.3f}.",
        ]
    )
