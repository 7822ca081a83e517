"""python -m train.ae_conv: the conv autoencoder (= python -m train.autoencoder --type conv)."""

from train.autoencoder import main

if __name__ == "__main__":
    main(kind="conv")
