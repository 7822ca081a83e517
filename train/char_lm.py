"""python -m train.char_lm: character-level language model on a bundled text or yours (teacher forcing). See --help."""

from train import harness
from train.sequence import add_cell_arguments, cell_config


def add_arguments(p):
    add_cell_arguments(p, cell="gru", units=256, depth=1)
    harness.architecture(
        p.add_argument("--context", type=harness.positive_int, default=100, help="characters per training sequence")
    )
    harness.architecture(
        p.add_argument("--embedding-dim", type=harness.positive_int, default=64, help="character embedding size")
    )


def load_data(args, split):
    from zoo.sequence.charlm import load_chunks

    return load_chunks(args.dataset, split, args.context)


def check(args):
    if args.cell == "bilstm":
        raise harness.UsageError("--cell bilstm: a language model predicts from the past only; use lstm or gru")
    from zoo.sequence import textfile

    if textfile.is_text_name(args.dataset):
        textfile.check(args.dataset)  # a missing, empty or binary file: refused before TensorFlow loads


def build(args, data):
    from zoo.sequence import CharLanguageModel

    return CharLanguageModel(
        vocabulary=data.info["vocabulary"],
        embedding_dim=args.embedding_dim,
        context=args.context,
        **cell_config(args),
    )


trainer = harness.Trainer(
    "char_lm",
    __doc__,
    build,
    add_arguments,
    epochs=20,
    batch_size=64,
    lr=2e-3,
    name="gru-char-{data}",
    load_data=load_data,
    dataset=(
        "pydoc",
        "pydoc (Python's reference topics, offline), text:FILE or text:DIR (your UTF-8 text) or tfds:<name> "
        "of a text dataset (online)",
    ),
    check=check,
)
main = trainer.main


if __name__ == "__main__":
    main()
