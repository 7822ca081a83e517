"""python -m train.ae_denoising: the denoising autoencoder (= python -m train.autoencoder --type denoising)."""

from train.autoencoder import main

if __name__ == "__main__":
    main(kind="denoising")
