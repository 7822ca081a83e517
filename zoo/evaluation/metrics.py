"""Sample-quality metrics on feature vectors (NumPy in, floats out).

  frechet_distance      FID (Heusel et al. 2017) between Gaussians fitted to two feature sets
  kernel_inception_distance
                        KID (Binkowski et al. 2018): unbiased MMD^2, cubic polynomial kernel,
                        mean and standard error over random subsets
  inception_score       IS (Salimans et al. 2016) from class probabilities, mean and std over splits
  precision_recall      improved precision / recall (Kynkaanniemi et al. 2019), k-NN manifolds
  label_entropy         entropy of the predicted-label histogram / log(classes): 1 = all classes equally
  duplicate_fraction    share of samples with a near-identical other sample (RMS pixel difference)
  nearest_rms           each image's RMS pixel distance to its nearest reference image (memorisation)
  sliced_wasserstein    SWD (Karras et al. 2018) on Laplacian-pyramid patches: needs no feature network
  psnr, ssim, image_quality
                        paired images against their ground truth (L1, PSNR, SSIM)
Which features, how many samples and which reference set make a number comparable: see
zoo.evaluate.PROTOCOL, which is stored next to every number it produces.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import linalg


def _moments(features):
    features = np.asarray(features, np.float64)
    return features.mean(0), np.cov(features, rowvar=False)


def frechet_distance(features_a, features_b):
    """|mu_a - mu_b|^2 + Tr(S_a + S_b - 2 (S_a S_b)^(1/2))."""
    mu_a, s_a = _moments(features_a)
    mu_b, s_b = _moments(features_b)
    with warnings.catch_warnings():  # dead ReLU features make covariances singular: expected
        warnings.simplefilter("ignore")
        root, _ = linalg.sqrtm(s_a @ s_b, disp=False)
        if not np.all(np.isfinite(root)):  # regularise, as the reference implementation does
            eps = np.eye(len(s_a)) * 1e-6
            root, _ = linalg.sqrtm((s_a + eps) @ (s_b + eps), disp=False)
    value = np.sum((mu_a - mu_b) ** 2) + np.trace(s_a + s_b - 2.0 * np.real(root))
    return float(max(value, 0.0))


def kernel_inception_distance(features_a, features_b, subsets=10, subset_size=500, seed=0):
    """(mean, standard error) of the unbiased MMD^2 with k(x, y) = (x.y / d + 1)^3."""
    a, b = np.asarray(features_a, np.float64), np.asarray(features_b, np.float64)
    m = min(subset_size, len(a), len(b))
    rng = np.random.default_rng(seed)
    d = a.shape[1]
    values = []
    for _ in range(subsets):
        x = a[rng.choice(len(a), m, replace=False)]
        y = b[rng.choice(len(b), m, replace=False)]
        kxx, kyy, kxy = ((x @ x.T) / d + 1) ** 3, ((y @ y.T) / d + 1) ** 3, ((x @ y.T) / d + 1) ** 3
        off = (kxx.sum() - np.trace(kxx) + kyy.sum() - np.trace(kyy)) / (m * (m - 1))
        values.append(off - 2 * kxy.mean())
    values = np.array(values)
    return float(values.mean()), float(values.std(ddof=1) / np.sqrt(len(values)) if len(values) > 1 else 0.0)


def inception_score(probabilities, splits=10):
    """(mean, std) over splits of exp(E_x KL(p(y|x) || p(y)))."""
    p = np.asarray(probabilities, np.float64)
    scores = []
    for part in np.array_split(p, splits):
        marginal = part.mean(0, keepdims=True)
        kl = np.sum(part * (np.log(part + 1e-12) - np.log(marginal + 1e-12)), axis=1)
        scores.append(np.exp(kl.mean()))
    return float(np.mean(scores)), float(np.std(scores))


def _pairwise(a, b):
    sq = (a**2).sum(1)[:, None] + (b**2).sum(1)[None, :] - 2 * a @ b.T
    return np.sqrt(np.maximum(sq, 0.0))


def _coverage(points, centres, k):
    """Share of `points` inside at least one ball around `centres` with radius = k-th NN distance."""
    radii = np.sort(_pairwise(centres, centres), axis=1)[:, k]  # column 0 is the centre itself
    return float(np.mean((_pairwise(points, centres) <= radii[None, :]).any(axis=1)))


def precision_recall(real_features, fake_features, k=3):
    """Precision: share of fakes on the real manifold; recall: share of reals on the fake manifold."""
    real = np.asarray(real_features, np.float64)
    fake = np.asarray(fake_features, np.float64)
    return _coverage(fake, real, k), _coverage(real, fake, k)


def label_entropy(probabilities):
    """Entropy of the histogram of arg-max labels, divided by log(classes): 1 = uniform, 0 = one class."""
    p = np.asarray(probabilities)
    counts = np.bincount(p.argmax(1), minlength=p.shape[1]).astype(np.float64)
    q = counts / counts.sum()
    q = q[q > 0]
    return float(-(q * np.log(q)).sum() / np.log(p.shape[1])) + 0.0  # (+ 0.0: one class gives 0.0, not -0.0)


def nearest_rms(images, reference=None):
    """[N] RMS pixel difference from each image to its nearest image of `reference` (default: its
    nearest *other* image of `images`)."""
    flat = np.asarray(images, np.float64).reshape(len(images), -1)
    others = flat if reference is None else np.asarray(reference, np.float64).reshape(len(reference), -1)
    distances = _pairwise(flat, others) / np.sqrt(flat.shape[1])
    if reference is None:
        np.fill_diagonal(distances, np.inf)
    return distances.min(1)


def duplicate_fraction(images, threshold=0.02):
    """Share of images whose nearest other image differs by less than `threshold` RMS per pixel."""
    return float(np.mean(nearest_rms(images) < threshold))


# --- label-free: no feature network ------------------------------------------------------------------
_BINOMIAL = np.outer([1, 4, 6, 4, 1], [1, 4, 6, 4, 1]) / 256.0  # cv2.pyrDown's 5x5 kernel


def _blur(images, gain=1.0):
    from scipy import ndimage

    return ndimage.convolve(images, _BINOMIAL[None, :, :, None] * gain, mode="mirror")


def laplacian_pyramid(images, levels):
    """[finest band-pass, ..., coarsest low-pass] of `[N, H, W, C]` images (cv2.pyrDown / pyrUp)."""
    pyramid = [np.asarray(images, np.float64)]
    for _ in range(levels - 1):
        down = _blur(pyramid[-1])[:, ::2, ::2]
        up = np.zeros_like(pyramid[-1])
        up[:, ::2, ::2] = down
        pyramid[-1] = pyramid[-1] - _blur(up, 4.0)
        pyramid.append(down)
    return pyramid


def _descriptors(level, per_image, size, rng):
    """`per_image` random size x size x C patches per image, each channel standardised over the set."""
    n, h, w, c = level.shape
    r = size // 2
    ys = rng.integers(r, h - r, (n, per_image))[..., None, None] + np.arange(-r, r + 1)[:, None]
    xs = rng.integers(r, w - r, (n, per_image))[..., None, None] + np.arange(-r, r + 1)[None, :]
    patches = level[np.arange(n)[:, None, None, None], ys, xs]  # [n, per_image, size, size, C]
    patches = patches.reshape(-1, size, size, c)
    patches = (patches - patches.mean((0, 1, 2))) / np.maximum(patches.std((0, 1, 2)), 1e-12)
    return patches.reshape(len(patches), -1)


def sliced_wasserstein(images_a, images_b, min_side=16, patch=7, per_image=128, repeats=4, directions=128, seed=0):
    """Sliced Wasserstein distance between two equally large image sets, x 1e3 (Karras et al. 2018,
    ProGAN's SWD): per level of a Laplacian pyramid (from the full size down to `min_side`), 128
    random 7x7 patches per image, each channel standardised within its set, projected on 4 x 128
    random unit directions; the mean absolute difference of the sorted projections. Needs no
    feature network and no labels. Returns {side: distance} and "mean" over the levels."""
    a, b = np.asarray(images_a, np.float64), np.asarray(images_b, np.float64)
    if a.shape != b.shape or a.ndim != 4:
        raise ValueError(f"sliced_wasserstein needs two [N, H, W, C] sets of one shape, got {a.shape} and {b.shape}")
    levels = 1
    while min(a.shape[1:3]) // 2**levels >= min_side:
        levels += 1
    rng = np.random.default_rng(seed)
    found = {}
    for level_a, level_b in zip(laplacian_pyramid(a, levels), laplacian_pyramid(b, levels)):
        da, db = _descriptors(level_a, per_image, patch, rng), _descriptors(level_b, per_image, patch, rng)
        distances = []
        for _ in range(repeats):
            dirs = rng.standard_normal((da.shape[1], directions))
            dirs /= np.linalg.norm(dirs, axis=0, keepdims=True)
            distances.append(np.mean(np.abs(np.sort(da @ dirs, 0) - np.sort(db @ dirs, 0))))
        found[level_a.shape[1]] = 1e3 * float(np.mean(distances))
    found["mean"] = float(np.mean(list(found.values())))
    return found


# --- paired images: outputs against their ground truth ---------------------------------------------
def psnr(outputs, targets):
    """Peak signal-to-noise ratio per image (peak 1), [N]; identical images read 100 dB."""
    mse = np.mean((np.asarray(outputs, np.float64) - targets) ** 2, axis=(1, 2, 3))
    return 10 * np.log10(1.0 / np.maximum(mse, 1e-10))


def ssim(outputs, targets):
    """Structural similarity per image (Wang et al. 2004; tf.image.ssim: 11x11 Gaussian, σ 1.5;
    a 7x7 window below 11 pixels), [N]."""
    size = min(11, outputs.shape[1], outputs.shape[2])
    import tensorflow as tf

    return np.asarray(tf.image.ssim(tf.constant(outputs), tf.constant(targets), 1.0, filter_size=size))


def image_quality(outputs, targets):
    """Mean L1, PSNR and SSIM of `outputs` against `targets` (float [0, 1])."""
    return {
        "l1": float(np.mean(np.abs(outputs - targets))),
        "psnr": float(np.mean(psnr(outputs, targets))),
        "ssim": float(np.mean(ssim(outputs, targets))),
    }


QUALITY_PROTOCOL = {
    "l1": "mean absolute pixel difference to the ground truth, images in [0, 1]",
    "psnr": "10 log10(1 / MSE) per image (peak 1), averaged over the images",
    "ssim": "tf.image.ssim per image (Gaussian window 11, sigma 1.5, max value 1), averaged",
}
