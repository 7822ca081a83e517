"""pix2pix (Isola et al. 2017), scaled to small images: paired image-to-image translation.

  generator   U-Net: `depth` down steps (4x4 conv, stride 2, instance norm, LeakyReLU 0.2; the
              first without norm), then as many up steps (nearest 2x upsampling + 3x3 conv,
              instance norm, ReLU), each concatenated with the encoder features of the same size
              (the skip connections that carry fine detail across), then, with the input itself,
              a 3x3 conv to the output channels (linear; outputs are clipped to [0, 1])
  critic      a PatchGAN on the (input, output) pair, concatenated along channels: it judges
              whether the output fits *this* input, not only whether it looks real
  losses      λ_L1 |G(x) - y|_1 + λ_adv non-saturating adversarial, λ_L1 = 100 (the paper's)
  data        any image set with a pairing (edges, grey, mask) or a folder of real pairs (zoo.data.pairing)
  colour      with `keep_luminance` (grey -> RGB; train.pix2pix sets it for the grey pairing) the
              output is shifted so its luminance is exactly the grey input's: the network predicts
              colour only and cannot alter the brightness it was given
The endpoint `translate(images)` takes [N, H, W, C_in] in [0, 1] at the training size; the Python
API's `translate(images, tile=True)` runs larger images tile by tile. The paper's dropout noise is
left out: the generator is deterministic, so every runtime computes the same image.
"""

from __future__ import annotations

import zoo._tensorflow  # noqa: F401  (TensorFlow, loaded quietly)

import keras
import numpy as np
from keras import layers

from zoo.errors import InputError
from zoo.gan.cyclegan import instance_norm
from zoo.gan.image_to_image import ImageToImageGAN
from zoo.registry import register_architecture


class KeepLuminance(layers.Layer):
    """rgb + (grey - luminance(rgb)), luminance = 0.299 R + 0.587 G + 0.114 B (the weights sum to 1,
    so the result's luminance is `grey`)."""

    def call(self, rgb, grey):
        weights = keras.ops.convert_to_tensor([0.299, 0.587, 0.114], rgb.dtype)
        return rgb + (keras.ops.cast(grey, rgb.dtype) - keras.ops.sum(rgb * weights, axis=-1, keepdims=True))


@register_architecture("pix2pix")
class Pix2Pix(ImageToImageGAN):
    endpoint_name = "translate"
    api = ("translate",)

    def __init__(
        self,
        input_shape=(28, 28, 1),
        output_shape=(28, 28, 1),
        depth=2,
        width=32,
        d_width=32,
        keep_luminance=False,
        **kwargs,
    ):
        self.depth, self.keep_luminance = int(depth), bool(keep_luminance)
        super().__init__(input_shape=input_shape, output_shape=output_shape, width=width, d_width=d_width, **kwargs)
        self.endpoint_doc = (
            f"{self.input_image_shape[-1]}-channel images in [0, 1] -> {self.image_shape[-1]}-channel images in [0, 1]"
        )

    def get_config(self):
        return {**super().get_config(), "depth": self.depth, "keep_luminance": self.keep_luminance}

    def check_shapes(self):
        h, w, _ = self.input_image_shape
        if self.input_image_shape[:2] != self.image_shape[:2]:
            raise InputError(
                f"pix2pix maps images to images of the same size; got {h}x{w} -> "
                f"{self.image_shape[0]}x{self.image_shape[1]}"
            )
        if self.depth < 1 or h % 2**self.depth or w % 2**self.depth:
            raise InputError(
                f"a U-Net of depth {self.depth} needs image sides divisible by {2 ** max(self.depth, 0)}; got {h}x{w}"
            )
        if self.keep_luminance and (self.input_image_shape[-1], self.image_shape[-1]) != (1, 3):
            raise InputError("keep_luminance colourises: it needs 1-channel inputs and 3-channel outputs")

    def build_generator(self):
        images = keras.Input(self.input_image_shape)
        x, skips = images, []
        for level in range(self.depth):
            x = layers.Conv2D(self.width * 2 ** min(level, 3), 4, 2, padding="same")(x)
            x = layers.LeakyReLU(0.2)(x if level == 0 else instance_norm()(x))
            skips.append(x)
        for level in reversed(range(self.depth)):
            if level < self.depth - 1:
                x = layers.Concatenate()([x, skips[level]])
            x = layers.UpSampling2D(2, interpolation="nearest")(x)
            x = layers.ReLU()(
                instance_norm()(layers.Conv2D(self.width * 2 ** min(max(level - 1, 0), 3), 3, padding="same")(x))
            )
        x = layers.Concatenate()([x, images])  # the outermost skip: the input itself
        out = layers.Conv2D(self.image_shape[-1], 3, padding="same")(x)
        if self.keep_luminance:
            out = KeepLuminance()(out, images)
        return keras.Model(images, out, name="generator")

    def critic_shape(self):
        return (*self.image_shape[:2], self.input_image_shape[-1] + self.image_shape[-1])

    def critic_inputs(self, inputs, outputs):
        return keras.ops.concatenate([inputs, outputs], axis=-1)

    def classical_baselines(self, inputs):
        pairing = (self.recipe or {}).get("pairing")
        if pairing == "grey" and self.image_shape[-1] == 3:  # no colour at all: the grey image as RGB
            return [("the grey input as RGB (no colour added)", np.repeat(inputs, 3, axis=-1))]
        if pairing == "mask":  # the hole left as it is
            return [("the masked input unchanged", inputs)]
        return []  # a sketch has no classical way back to the image

    def translate(self, images, tile=False):
        """Translated images of float [0, 1] `images` (see `apply`)."""
        return self.apply(images, tile=tile)
