"""python -m train.ae_overcomplete: the overcomplete autoencoder (= python -m train.autoencoder --type overcomplete)."""

from train.autoencoder import main

if __name__ == "__main__":
    main(kind="overcomplete")
