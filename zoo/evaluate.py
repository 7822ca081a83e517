"""`python -m zoo.evaluate`: the evaluation protocol; the code lives in `zoo.evaluation.evaluate`."""

from zoo.evaluation.evaluate import main

if __name__ == "__main__":
    main()
