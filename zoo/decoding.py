"""`python -m zoo.decoding`: the TensorFlow-free decoder of exported step functions; the code lives
in `zoo.serving.decoding`."""

from zoo.serving.decoding import main

if __name__ == "__main__":
    main()
