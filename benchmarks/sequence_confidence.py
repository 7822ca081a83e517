"""How far to trust a translation or a caption: the score every seq2seq output comes with, measured.

    python benchmarks/sequence_confidence.py [--write-readme]

For gru-attention-dates and captioner-mnist-pairs, every held-out example is decoded greedily with
`return_scores=True`; an output is right when it equals the truth exactly. Printed (and, with
--write-readme, put between the sequence-confidence markers of the docs):

- how well each score separates right from wrong outputs (ROC AUC): the output's log-probability
  (`log_prob`), per token (`mean_log_prob`) and its least sure token (`min_token_prob`);
- risk–coverage: the exact-match accuracy of what is kept when the least confident 5 / 10 / 20% are
  set aside, and the log_prob threshold that does it (what a caller compares against);
- accuracy by score band (fifths of the held-out scores);
- inputs unlike the training data, scored against the same thresholds: for dates the held-out groups
  (unseen dates, unseen locale/style pairs, unseen locales) and date styles no CLDR pattern writes
  (two-digit years, slashes, English ordinals), for the captioner test pairs with Gaussian noise and
  with one digit blanked out (no right caption exists: every output is wrong).

Raw numbers go to benchmarks/results/sequence_confidence.json.
"""

import argparse
import datetime
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import numpy as np  # noqa: E402

import zoo  # noqa: E402

COVERAGES = (1.0, 0.95, 0.9, 0.8)
SCORES = ("log_prob", "mean_log_prob", "min_token_prob")


def ordinal(n):
    return f"{n}{'th' if 11 <= n % 100 <= 13 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def other_date_styles(model, test_texts, test_truth, n=200):
    """(texts, truths, style) for test dates written in ways no CLDR pattern of the data writes;
    texts with characters outside the model's vocabulary are left out."""
    vocabulary = set(model.source_vocabulary)
    styles = {
        "de_DE 12.3.21 (two-digit year)": lambda d: f"de_DE|{d.day}.{d.month}.{d.year % 100:02d}",
        "en_US 2021/3/12 (slashes, year first)": lambda d: f"en_US|{d.year}/{d.month}/{d.day}",
        "en_US March 12th, 2021 (ordinal)": lambda d: f"en_US|{d:%B} {ordinal(d.day)}, {d.year}",
        "en_GB 12 Mar 2021 (abbreviated, no dot)": lambda d: f"en_GB|{d.day} {d:%b} {d.year}",
    }
    dates = sorted({datetime.date.fromisoformat(t) for t in test_truth})[:: max(1, len(set(test_truth)) // n)][:n]
    out = []
    for style, write in styles.items():
        for d in dates:
            text = write(d)
            if set(text) <= vocabulary and text.partition("|")[0] in model.recipe["locales"].split(","):
                out.append((text, d.isoformat(), style))
    return out


def roc_auc(right, score):
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(right, score)) if 0 < np.mean(right) < 1 else None


def measure(outputs, truth):
    """Per-example arrays: right (exact match) and each score."""
    right = np.array([o.text == t for o, t in zip(outputs, truth)])
    scores = {name: np.array([getattr(o, name) for o in outputs], float) for name in SCORES}
    return right, scores


def summary(right, log_prob):
    """Risk–coverage and score bands of one held-out set."""
    order = np.argsort(-log_prob, kind="stable")  # most confident first
    coverage = []
    for c in COVERAGES:
        kept = order[: int(round(c * len(order)))]
        threshold = float(log_prob[kept].min())
        coverage.append({"coverage": c, "exact_match": float(right[kept].mean()), "threshold": threshold})
    edges = np.quantile(log_prob, [0.2, 0.4, 0.6, 0.8])
    band = np.searchsorted(edges, log_prob, side="right")
    bands = [
        {
            "band": b,
            "from": float(log_prob[band == b].min()),
            "to": float(log_prob[band == b].max()),
            "exact_match": float(right[band == b].mean()),
            "examples": int((band == b).sum()),
        }
        for b in range(5)
        if (band == b).any()
    ]
    return coverage, bands


def shifted(name, groups, thresholds):
    """{group: {examples, exact_match, mean log_prob, share set aside at each threshold}}."""
    out = {}
    for group, (right, log_prob) in groups.items():
        out[group] = {
            "examples": int(len(right)),
            "exact_match": float(np.mean(right)),
            "mean_log_prob": float(np.mean(log_prob)),
            "set_aside": {f"{c:.0%}": float(np.mean(log_prob < t)) for c, t in thresholds.items()},
        }
    return out


def dates():
    model = zoo.load("gru-attention-dates")
    test = model.data("test")
    texts = test.info["texts"]
    truth = [model.decode_ids(row) for row in test.targets]
    outputs = model.translate(texts, return_scores=True)
    right, scores = measure(outputs, truth)
    groups = {}
    for g in sorted(set(test.info["groups"])):
        keep = test.info["groups"] == g
        groups[f"held-out: {g}"] = (right[keep], scores["log_prob"][keep])
    odd = other_date_styles(model, texts, truth)
    for style in dict.fromkeys(s for _, _, s in odd):
        chosen = [(t, iso) for t, iso, s in odd if s == style]
        found = model.translate([t for t, _ in chosen], return_scores=True)
        r, s = measure(found, [iso for _, iso in chosen])
        groups[f"other style: {style}"] = (r, s["log_prob"])
    return model, right, scores, groups


def captions():
    model = zoo.load("captioner-mnist-pairs")
    test = model.data("test")
    truth = test.info["captions"]
    images = test.inputs
    outputs = model.caption(images, return_scores=True)
    right, scores = measure(outputs, truth)
    groups = {"held-out pairs": (right, scores["log_prob"])}
    rng = np.random.default_rng(0)
    for sigma in (0.2, 0.4):
        noisy = np.clip(images + rng.normal(0, sigma, images.shape).astype(np.float32), 0, 1)
        r, s = measure(model.caption(noisy, return_scores=True), truth)
        groups[f"Gaussian noise sigma {sigma}"] = (r, s["log_prob"])
    blank = images.copy()
    blank[:, :, images.shape[2] // 2 :] = 0  # the second digit gone: no caption is right
    r, s = measure(model.caption(blank, return_scores=True), ["(none)"] * len(blank))
    groups["second digit blanked (no right answer)"] = (r, s["log_prob"])
    return model, right, scores, groups


def report(name, right, scores, groups):
    coverage, bands = summary(right, scores["log_prob"])
    thresholds = {c["coverage"]: c["threshold"] for c in coverage if c["coverage"] < 1}
    auc = {k: roc_auc(right, v) for k, v in scores.items()}
    return {
        "entry": name,
        "examples": int(len(right)),
        "roc_auc_right_vs_wrong": auc,
        "risk_coverage": coverage,
        "bands": bands,
        "shifted": shifted(name, groups, thresholds),
    }


def num(x):
    """A score as printed: small log-probabilities keep their first digits (-0.0012, not -0.001)."""
    return f"{x:.3f}" if abs(x) >= 0.1 or x == 0 else f"{x:.2g}"


def markdown(results):
    lines = []
    for r in results:
        auc = ", ".join(f"{k} {v:.3f}" for k, v in r["roc_auc_right_vs_wrong"].items() if v is not None)
        lines += [
            f"**{r['entry']}** ({r['examples']:,} held-out examples; ROC AUC of right vs wrong: {auc})",
            "",
            "| kept (most confident) | exact match | log_prob threshold |",
            "|---|---|---|",
        ]
        lines += [
            f"| {c['coverage']:.0%} | {c['exact_match']:.3f} | {num(c['threshold'])} |" for c in r["risk_coverage"]
        ]
        lines += ["", "| score band (log_prob) | exact match | examples |", "|---|---|---|"]
        lines += [
            f"| {num(b['from'])} to {num(b['to'])} | {b['exact_match']:.3f} | {b['examples']} |" for b in r["bands"]
        ]
        cover = list(next(iter(r["shifted"].values()))["set_aside"])
        lines += [
            "",
            "| inputs | examples | exact match | mean log_prob | "
            + " | ".join(f"set aside at the {c} threshold" for c in cover)
            + " |",
            "|---" * (4 + len(cover)) + "|",
        ]
        for group, g in r["shifted"].items():
            cells = " | ".join(f"{g['set_aside'][c]:.3f}" for c in cover)
            lines.append(
                f"| {group} | {g['examples']} | {g['exact_match']:.3f} | {num(g['mean_log_prob'])} | {cells} |"
            )
        lines.append("")
    return "\n".join(lines).rstrip()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--write-readme", action="store_true", help="put the tables into the docs (sequence-confidence)")
    args = p.parse_args(argv)
    results = [report("gru-attention-dates", *dates()[1:]), report("captioner-mnist-pairs", *captions()[1:])]
    (ROOT / "benchmarks" / "results" / "sequence_confidence.json").write_text(json.dumps(results, indent=2) + "\n")
    text = markdown(results)
    print(text)
    if args.write_readme:
        from readme_block import rewrite

        rewrite("sequence-confidence", text)


if __name__ == "__main__":
    main()
