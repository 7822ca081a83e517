"""python -m train.ae_undercomplete: the undercomplete autoencoder (= train.autoencoder --type undercomplete)."""

from train.autoencoder import main

if __name__ == "__main__":
    main(kind="undercomplete")
