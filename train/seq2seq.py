"""python -m train.seq2seq: sequence to sequence with attention (dates in 27 locales -> ISO 8601, offline)."""

from train import harness
from zoo.choices import CELLS

ATTENTIONS = ("luong", "bahdanau", "none")


def add_decoder_arguments(p, cells, cell_help):
    """The flags every encoder-decoder trainer shares (this one and train.captioner)."""
    harness.architecture(p.add_argument("--cell", choices=cells, default="gru", help=cell_help))
    harness.architecture(
        p.add_argument("--units", type=harness.positive_int, default=128, help="units per recurrent layer")
    )
    harness.architecture(
        p.add_argument("--depth", type=harness.positive_int, default=1, help="stacked recurrent layers")
    )
    harness.architecture(
        p.add_argument("--attention", choices=ATTENTIONS, default="luong", help="attention score (none: no attention)")
    )
    harness.architecture(
        p.add_argument("--embedding-dim", type=harness.positive_int, default=32, help="character embedding size")
    )
    p.add_argument(
        "--clip-norm", type=harness.positive_float, default=1.0, help="clip the gradient's global norm to this"
    )


def decoder_config(args):
    keys = ("cell", "units", "depth", "attention", "embedding_dim", "clip_norm", "seed")
    return {key: getattr(args, key) for key in keys}


def add_arguments(p):
    add_decoder_arguments(p, CELLS, "encoder cell (a bilstm encoder gets an LSTM decoder)")


def load_data(args, split):
    from zoo.sequence.seq2seq import load_pairs

    return load_pairs(args.dataset, split)


def build(args, data):
    from zoo.sequence.seq2seq import Seq2Seq

    return Seq2Seq(
        source_vocabulary=data.info["source_vocabulary"],
        target_vocabulary=data.info["target_vocabulary"],
        **decoder_config(args),
    )


trainer = harness.Trainer(
    "seq2seq",
    __doc__,
    build,
    add_arguments,
    epochs=10,
    batch_size=64,
    lr=2e-3,
    name="seq2seq-{data}",
    load_data=load_data,
    dataset=("dates", "dates (CLDR date formats of 27 locales via Babel, offline)"),
)
main = trainer.main


if __name__ == "__main__":
    main()
