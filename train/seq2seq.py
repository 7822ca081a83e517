"""python -m train.seq2seq: sequence to sequence with attention (dates in 27 locales -> ISO 8601, offline)."""

from train import harness
from zoo.choices import CELLS

ATTENTIONS = ("luong", "bahdanau", "none")


def add_arguments(p):
    p.add_argument("--cell", choices=CELLS, default="gru", help="encoder cell (a bilstm encoder gets an LSTM decoder)")
    p.add_argument("--units", type=harness.positive_int, default=128, help="units per recurrent layer")
    p.add_argument("--depth", type=harness.positive_int, default=1, help="stacked layers in encoder and decoder")
    p.add_argument("--attention", choices=ATTENTIONS, default="luong", help="attention score (none: no attention)")
    p.add_argument("--embedding-dim", type=harness.positive_int, default=32, help="character embedding size")
    p.add_argument(
        "--clip-norm", type=harness.positive_float, default=1.0, help="clip the gradient's global norm to this"
    )


def load_data(args, split):
    from zoo.sequence.seq2seq import load_pairs

    return load_pairs(args.dataset, split)


def build(args, data):
    from zoo.sequence.seq2seq import Seq2Seq

    return Seq2Seq(
        source_vocabulary=data.info["source_vocabulary"],
        target_vocabulary=data.info["target_vocabulary"],
        cell=args.cell,
        units=args.units,
        depth=args.depth,
        attention=args.attention,
        embedding_dim=args.embedding_dim,
        clip_norm=args.clip_norm,
        seed=args.seed,
    )


def main(argv=None):
    return harness.main(
        "seq2seq",
        __doc__.splitlines()[0],
        build,
        add_arguments,
        argv,
        epochs=10,
        batch_size=64,
        lr=2e-3,
        name="seq2seq-{data}",
        load_data=load_data,
        dataset=("dates", "dates (CLDR date formats of 27 locales via Babel, offline)"),
    )


if __name__ == "__main__":
    main()
