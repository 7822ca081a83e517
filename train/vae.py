"""python -m train.vae: the variational autoencoder (= python -m train.autoencoder --type variational)."""

from train.autoencoder import main

if __name__ == "__main__":
    main(kind="variational")
