"""`python -m zoo.serve`: the model server; the code lives in `zoo.serving.serve`."""

from zoo.serving.serve import main

if __name__ == "__main__":
    main()
