"""python -m train.ae_vanilla: the vanilla autoencoder (= python -m train.autoencoder --type vanilla)."""

from train.autoencoder import main

if __name__ == "__main__":
    main(kind="vanilla")
