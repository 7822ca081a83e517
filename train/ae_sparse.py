"""python -m train.ae_sparse: the sparse autoencoder (= python -m train.autoencoder --type sparse)."""

from train.autoencoder import main

if __name__ == "__main__":
    main(kind="sparse")
