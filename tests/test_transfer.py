"""--from-pretrained / --freeze: weights really loaded, frozen parts really unchanged, clear errors."""

import importlib
import json
import pkgutil

import numpy as np
import pytest
from conftest import tiny_dcgan

import train
import zoo
from zoo import checkpoint, transfer
from zoo.autoencoders import ConvAutoencoder


def tiny_ae(**kw):
    return ConvAutoencoder(**{"image_shape": (8, 8, 1), "latent_dim": 3, "width": 2, "seed": 1, **kw})


def test_copy_weights_loads_every_weight():
    source, target = tiny_ae(), tiny_ae(seed=2)
    source.anomaly_threshold.assign(0.25)
    assert not np.array_equal(source.get_weights()[0], target.get_weights()[0])
    record = transfer.copy_weights(source, target)
    for a, b in zip(source.get_weights(), target.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert record["name"] == "ConvAutoencoder"


@pytest.mark.parametrize("frozen, moving", [("encoder", "decoder"), ("decoder", "encoder")])
def test_frozen_part_is_unchanged_after_a_step(frozen, moving):
    model = tiny_ae()
    transfer.freeze(model, [frozen])
    model.compile(learning_rate=0.05)
    before = {part: [w.copy() for w in getattr(model, part).get_weights()] for part in ("encoder", "decoder")}
    model.train_step(np.random.default_rng(0).random((4, 8, 8, 1), dtype=np.float32))
    assert all(np.array_equal(a, b) for a, b in zip(before[frozen], getattr(model, frozen).get_weights()))
    assert any(not np.array_equal(a, b) for a, b in zip(before[moving], getattr(model, moving).get_weights()))


def test_frozen_discriminator_of_a_gan(tiny):
    model = tiny()
    transfer.freeze(model, ["discriminator"])
    model.compile(learning_rate=0.05)
    before = [w.copy() for w in model.discriminator.get_weights()]
    model.train_step(np.random.default_rng(0).random((8, 8, 8, 1), dtype=np.float32))
    assert all(np.array_equal(a, b) for a, b in zip(before, model.discriminator.get_weights()))


def test_mismatch_names_the_first_layer_that_does_not_fit():
    with pytest.raises(
        transfer.TransferError,
        match=r"layer 'encoder/conv2d\w*' does not fit: .* \(3, 3, 1, 2\), this model \(3, 3, 1, 4\)",
    ):
        transfer.copy_weights(tiny_ae(), ConvAutoencoder(image_shape=(8, 8, 1), latent_dim=3, width=4))
    with pytest.raises(transfer.TransferError, match="was built with width 2, this model with width 4: pass the flags"):
        transfer.copy_weights(tiny_ae(), ConvAutoencoder(image_shape=(8, 8, 1), latent_dim=3, width=4))
    # a switch missing from one config is off: the DCGAN trainer's batch norm against an entry without it
    with pytest.raises(transfer.TransferError, match="was built with batch_norm off, this model with batch_norm on"):
        transfer.copy_weights(tiny_dcgan(), tiny_dcgan(batch_norm=True))
    with pytest.raises(transfer.TransferError, match="which is a ae-conv"):
        transfer.copy_weights(tiny_ae(), zoo.autoencoders.VanillaAutoencoder(image_shape=(8, 8, 1)))
    with pytest.raises(transfer.TransferError, match="no part 'mapping'.*has: decoder, encoder"):
        transfer.freeze(tiny_ae(), ["mapping"])
    with pytest.raises(transfer.TransferError, match="nothing to train"):
        transfer.freeze(tiny_ae(), ["encoder", "decoder"])


def test_a_checkpoint_folder_is_a_source(tmp_path):
    model = tiny_ae()
    model.compile()
    checkpoint.save(tmp_path / "checkpoint.npz", model, epoch=3)
    source = transfer.load_source(str(tmp_path))
    for a, b in zip(model.get_weights(), source.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert source.card["epoch"] == 3


def test_every_trainer_has_the_transfer_flags(capsys):
    modules = [
        m.name
        for m in pkgutil.iter_modules(train.__path__)
        if m.name not in ("harness", "flags", "rundir", "callbacks", "publish", "sequence", "jit", "__init__")
    ]
    assert len(modules) >= 15
    for name in modules:
        module = importlib.import_module(f"train.{name}")
        with pytest.raises(SystemExit) as exit_:
            module.main(["--help"])
        assert exit_.value.code == 0
        text = capsys.readouterr().out
        assert "--from-pretrained" in text and "--freeze" in text, name


@pytest.mark.slow
def test_cli_fine_tunes_a_shipped_entry_with_a_frozen_encoder(tmp_path, cli):
    out = tmp_path / "run"
    r = cli(
        "train.ae_conv",
        "--dataset",
        "digits",
        "--from-pretrained",
        "ae-conv-mnist",
        "--freeze",
        "encoder",
        "--epochs",
        "1",
        "--limit",
        "128",
        "--out",
        str(out),
        "--no-export",
        "--quiet",
    )
    assert r.returncode == 0, r.stderr
    card = json.loads((out / "card.json").read_text())
    assert card["training"]["started_from"]["name"] == "ae-conv-mnist" and card["training"]["frozen"] == ["encoder"]
    shipped, tuned = zoo.load("ae-conv-mnist"), zoo.load(str(out))
    for a, b in zip(shipped.encoder.get_weights(), tuned.encoder.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, b) for a, b in zip(shipped.decoder.get_weights(), tuned.decoder.get_weights()))


@pytest.mark.slow
def test_cli_refuses_a_mismatched_source_without_a_folder(tmp_path, cli):
    out = tmp_path / "run"
    r = cli("train.ae_conv", "--from-pretrained", "ae-conv-mnist", "--width", "8", "--out", str(out), "--epochs", "1")
    assert r.returncode == 2 and "does not fit" in r.stderr, r.stderr
    assert not out.exists()


@pytest.mark.slow
def test_cli_takes_the_sources_architecture_where_no_flag_sets_it(tmp_path, cli):
    """`--from-pretrained` builds what the source was built as (keras-hub's from_preset): sizes and
    switches the command line leaves unset come from its config, said in one line; --resume with the
    same command continues the same model."""
    source = tmp_path / "source"
    source.mkdir()
    model = tiny_dcgan(image_shape=(28, 28, 1), width=4, latent_dim=8, batch_norm=False, ema_decay=0.999)
    model.compile()  # as a run's checkpoint holds it
    checkpoint.save(source / "checkpoint.npz", model, epoch=1)
    out = tmp_path / "run"
    args = [
        "train.dcgan",
        "--from-pretrained",
        str(source),
        "--limit",
        "32",
        "--no-export",
        "--quiet",
        "--out",
        str(out),
    ]
    r = cli(*args, "--epochs", "1")
    assert r.returncode == 0, r.stderr
    assert f"--from-pretrained {source}: its architecture, --no-batch-norm --latent-dim 8 --width 4" in r.stdout
    card = json.loads((out / "card.json").read_text())
    assert card["config"]["width"] == 4 and card["config"]["latent_dim"] == 8 and not card["config"].get("batch_norm")
    assert card["training"]["started_from"]["name"] == str(source)
    resumed = cli(*args, "--epochs", "2", "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads((out / "card.json").read_text())["training"]["epochs"] == 2
