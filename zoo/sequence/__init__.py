"""The sequence family: recurrent cells (stacked LSTM, BiLSTM, GRU) x task heads; importing registers them."""

from zoo.sequence.base import CELLS, SequenceModel
from zoo.sequence.captioner import ImageCaptioner
from zoo.sequence.charlm import CharLanguageModel
from zoo.sequence.classify import SequenceClassifier, SeriesClassifier
from zoo.sequence.forecast import Forecaster
from zoo.sequence.music_lm import MusicLanguageModel
from zoo.sequence.seq2seq import Seq2Seq
from zoo.sequence.series_ae import SeriesAutoencoder

__all__ = [
    "CELLS",
    "SequenceModel",
    "Forecaster",
    "SequenceClassifier",
    "SeriesClassifier",
    "CharLanguageModel",
    "MusicLanguageModel",
    "Seq2Seq",
    "ImageCaptioner",
    "SeriesAutoencoder",
]
