"""python -m train.ae_linear: the linear autoencoder (= python -m train.autoencoder --type linear)."""

from train.autoencoder import main

if __name__ == "__main__":
    main(kind="linear")
