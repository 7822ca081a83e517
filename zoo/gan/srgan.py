"""SRGAN (Ledig et al. 2017), scaled to small images: super-resolution x2 or x4.

  generator   conv 3x3 (width) + PReLU -> `blocks` residual blocks (conv-PReLU-conv, no batch norm,
              as EDSR) -> conv + skip from before the blocks -> log2(scale) sub-pixel steps (conv to
              4 x width, depth-to-space 2, PReLU) -> conv 3x3 to C channels, added to the bilinear
              upsampling of the input (the network learns the detail bilinear misses)
  critic      a PatchGAN on the high-resolution image alone (SRGAN's critic is unconditional)
  losses      content: λ_L1 |G(x) - y|_1 (+ λ_feat in a feature network, e.g. the zoo's digit
              classifier); adversarial: non-saturating, λ_adv (see zoo.gan.image_to_image)
  data        pairing downscale2 / downscale4: the input is the target averaged over s x s blocks
The endpoint `upscale(images)` takes [N, h, w, C] in [0, 1] at the training size and returns
[N, s h, s w, C]; `model.upscale(images, tile=True)` upscales larger images tile by tile.
Classical baselines: bicubic interpolation (tf.image.resize, clipped to [0, 1]) and Lanczos (PIL).
"""

from __future__ import annotations

import zoo._tensorflow  # noqa: F401  (TensorFlow, loaded quietly)

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from zoo.errors import InputError
from zoo.gan.dcgan import DepthToSpace
from zoo.gan.image_to_image import ImageToImageGAN
from zoo.registry import register_architecture

SCALES = (2, 4)


def bicubic(images, size):
    """Bicubic upsampling to `size` (H, W), clipped to [0, 1]: the classical baseline."""
    out = tf.image.resize(tf.constant(images, tf.float32), size, method="bicubic")
    return np.clip(out.numpy(), 0.0, 1.0)


def lanczos(images, size):
    """Lanczos upsampling to `size` (H, W) by PIL, each channel as a float image (no 8-bit rounding),
    clipped to [0, 1]: the other classical baseline."""
    from PIL import Image

    images = np.asarray(images, np.float32)
    out = np.empty((len(images), *size, images.shape[-1]), np.float32)
    for i, image in enumerate(images):
        for c in range(images.shape[-1]):
            channel = Image.fromarray(np.ascontiguousarray(image[..., c]))
            out[i, ..., c] = np.asarray(channel.resize((size[1], size[0]), Image.LANCZOS))
    return np.clip(out, 0.0, 1.0)


@register_architecture("srgan")
class SRGAN(ImageToImageGAN):
    endpoint_name = "upscale"
    output_name = "upscaled"
    api = ("upscale",)

    def __init__(self, input_shape=(7, 7, 1), scale=4, blocks=4, width=32, d_width=32, **kwargs):
        self.scale, self.blocks = int(scale), int(blocks)
        if self.scale not in SCALES:
            raise InputError(f"scale must be one of {', '.join(map(str, SCALES))}, got {scale}")
        h, w, c = (int(d) for d in input_shape)
        kwargs.pop("output_shape", None)  # always the input times the scale
        super().__init__(
            input_shape=(h, w, c),
            output_shape=(h * self.scale, w * self.scale, c),
            width=width,
            d_width=d_width,
            **kwargs,
        )
        self.endpoint_doc = f"low-resolution images in [0, 1] -> x{self.scale} images in [0, 1]"

    def get_config(self):
        config = super().get_config()
        config.pop("output_shape")
        return {**config, "scale": self.scale, "blocks": self.blocks}

    def build_generator(self):
        w = self.width
        images = keras.Input(self.input_image_shape)
        x = layers.PReLU(shared_axes=[1, 2])(layers.Conv2D(w, 3, padding="same")(images))
        skip = x
        for _ in range(self.blocks):
            y = layers.PReLU(shared_axes=[1, 2])(layers.Conv2D(w, 3, padding="same")(x))
            x = layers.Add()([x, layers.Conv2D(w, 3, padding="same")(y)])
        x = layers.Add()([skip, layers.Conv2D(w, 3, padding="same")(x)])
        for _ in range(int(np.log2(self.scale))):  # sub-pixel convolution (Shi et al. 2016), x2 each
            x = layers.PReLU(shared_axes=[1, 2])(DepthToSpace(2)(layers.Conv2D(4 * w, 3, padding="same")(x)))
        detail = layers.Conv2D(self.image_shape[-1], 3, padding="same")(x)
        smooth = layers.UpSampling2D(self.scale, interpolation="bilinear")(images)
        return keras.Model(images, layers.Add()([smooth, detail]), name="generator")

    def classical_baselines(self, inputs):
        size = self.image_shape[:2]
        return [
            ("bicubic interpolation (tf.image.resize, clipped to [0, 1])", bicubic(inputs, size)),
            ("Lanczos (PIL Image.LANCZOS, each channel in float, clipped to [0, 1])", lanczos(inputs, size)),
        ]

    def upscale(self, images, tile=False):
        """x`scale` images `[N, s h, s w, C]` of float [0, 1] images `[N, h, w, C]` (see `apply`)."""
        return self.apply(images, tile=tile)
