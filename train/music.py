"""python -m train.music: a melody model of Bach's chorales (note tokens, teacher forcing; offline)."""

from train import harness
from train.sequence import add_cell_arguments, cell_config


def add_arguments(p):
    add_cell_arguments(p, cell="gru", units=128, depth=2)
    # Chosen on the validation loss (the last 10% of the training tunes) among LSTM / GRU x dropout 0 / 0.3
    # and transposition (docs/sequence-models.md, benchmarks/results/music.json); early stopping keeps the
    # best epoch's weights.
    p.set_defaults(dropout=0.3, validation_fraction=0.1, patience=15)
    harness.architecture(
        p.add_argument("--context", type=harness.positive_int, default=64, help="notes per training sequence")
    )
    p.add_argument(
        "--transpose",
        type=harness.semitones,
        default=0,
        help="augment: also train on every chorale moved by each semitone in [-N, N] (held-out tunes stay in C / A)",
    )
    harness.architecture(
        p.add_argument("--embedding-dim", type=harness.positive_int, default=32, help="note-token embedding size")
    )


def load_data(args, split):
    from zoo.sequence.music_lm import load_chorale_chunks

    return load_chorale_chunks(split, args.context, args.transpose)


def check(args):
    if args.cell == "bilstm":
        raise harness.UsageError("--cell bilstm: a melody model predicts from the past only; use lstm or gru")
    if args.dataset != "bach-chorales":
        raise harness.UsageError(f"--dataset {args.dataset}: the zoo's music data is bach-chorales")


def build(args, data):
    from zoo.sequence import MusicLanguageModel

    return MusicLanguageModel(
        vocabulary=data.info["vocabulary"],
        embedding_dim=args.embedding_dim,
        context=args.context,
        **cell_config(args),
    )


trainer = harness.Trainer(
    "music",
    __doc__,
    build,
    add_arguments,
    epochs=300,
    batch_size=32,
    lr=2e-3,
    name="{cell}-bach-chorales",
    load_data=load_data,
    dataset=(
        "bach-chorales",
        "bach-chorales (the soprano lines of Bach's 371 chorales, from music21's corpus; offline)",
    ),
    check=check,
)
main = trainer.main


if __name__ == "__main__":
    main()
