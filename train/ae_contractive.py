"""python -m train.ae_contractive: the contractive autoencoder (= python -m train.autoencoder --type contractive)."""

from train.autoencoder import main

if __name__ == "__main__":
    main(kind="contractive")
