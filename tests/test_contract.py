"""The shared battery: every registered architecture keeps the model contract (zoo.contract), so
the harness, evaluator, exporter and vis can call it without asking what it is."""

import numpy as np
import pytest
from families import FAMILIES

from zoo import registry
from zoo.contract import ZooModel
from zoo.vis import KINDS

EVALUATIONS = {"held_out", "samples", "conditional", "translation"}
DATA_FACTS = {"dataset", "held_out_class", "domain_names", "train_fraction", "mean", "std", "period"}


def test_every_registered_architecture_has_a_tiny_subject():
    built = {FAMILIES[key][0]().architecture for key in FAMILIES}
    assert built == set(registry.ARCHITECTURES)


@pytest.mark.parametrize("key", sorted(FAMILIES))
def test_contract(key):
    model = FAMILIES[key][0]()
    assert isinstance(model, ZooModel)
    assert model.data_kind in ("images", "unpaired", "paired", "arrays")
    assert set(model.evaluation) <= EVALUATIONS and model.evaluation
    assert set(model.vis_kinds) <= set(KINDS) and "curves" in model.vis_kinds
    assert set(model.litert_variants) <= {"float16", "dynamic", "int8"}
    config = model.get_config()
    assert not DATA_FACTS & set(config), f"{key}: data facts in the architecture config"
    # The config rebuilds the same architecture (what zoo.load does from a card).
    rebuilt = registry.build(model.architecture, config)
    assert [w.shape for w in rebuilt.weights] == [w.shape for w in model.weights]
    # Hooks with documented defaults answer without a recipe where they need none.
    model.compile(learning_rate=1e-3)
    rate = model.learning_rate_at(0, 10)
    assert rate is None or rate > 0
    assert model.recipe is None and model.class_names == ()
    # Every endpoint runs on its declared example inputs; the export source has the same endpoints.
    endpoints = model.endpoints()
    assert endpoints
    for name, endpoint in endpoints.items():
        outputs = endpoint(**endpoint.example_inputs(batch=2))
        assert set(outputs) == set(endpoint.outputs) and all(np.all(np.isfinite(v)) for v in outputs.values()), name
    assert set(model.export_source().endpoints()) == set(endpoints)
    model.attach_recipe({"dataset": "x", "class_names": ["a", "b"]})
    assert model.class_names == ("a", "b")


@pytest.mark.parametrize("key", sorted(FAMILIES))
def test_declared_parts_and_optimizers_are_what_the_model_holds(key):
    """`parts()` names every sub-network with weights that the model holds as an attribute (found
    here by reflection, which the zoo itself never does), and `optimizers` every optimizer it trains
    with; the checkpoint records the architecture by its registered name."""
    import keras

    model = FAMILIES[key][0]()
    model.compile(learning_rate=1e-3)
    held = {
        name
        for name, value in vars(model).items()
        if not name.startswith("_")
        and isinstance(value, keras.layers.Layer)
        and not isinstance(value, keras.metrics.Metric)
        and value.weights
    }
    assert set(model.parts()) == held, key
    assert set(model.parts()) <= set(model.part_names)
    declared = {id(o) for o in model.optimizers.values()}
    kept = {id(v) for n, v in vars(model).items() if isinstance(v, keras.optimizers.Optimizer) and n != "optimizer"}
    assert declared and kept <= declared, key
    assert all(isinstance(o, keras.optimizers.Optimizer) for o in model.optimizers.values())


def test_a_checkpoint_records_the_architecture_by_name(tmp_path):
    from zoo import checkpoint

    model = FAMILIES["dcgan"][0]()
    model.compile(learning_rate=1e-3)
    checkpoint.save(tmp_path / "c.npz", model, 1)
    meta = checkpoint.read_meta(tmp_path / "c.npz")
    assert meta["architecture"] == model.architecture == "dcgan"


#: one tiny subject per model module of the registry (zoo.registry.FAMILIES)
ONE_PER_FAMILY = (
    "dcgan",
    "wgan-gp",
    "cgan",
    "cyclegan",
    "stylegan",
    "srgan",
    "pix2pix",
    "text2image",
    "classifier",
    "ae-conv",
    "forecaster",
)


def test_one_subject_per_family():
    from zoo.registry import FAMILIES as MODULES

    modules = {type(FAMILIES[key][0]()).__module__.rsplit(".", 1)[0] for key in ONE_PER_FAMILY}
    modules |= {type(FAMILIES[key][0]()).__module__ for key in ONE_PER_FAMILY}
    assert all(module in modules for module in MODULES)


@pytest.mark.parametrize("key", ONE_PER_FAMILY)
def test_every_family_exports_to_every_runtime_with_parity(key, tmp_path):
    """The fast tier's export: a tiny model of each family written as SavedModel, ONNX and LiteRT,
    each reloaded in its runtime and compared with Keras (the exporter raises past the tolerance)."""
    from export import export_model

    model = FAMILIES[key][0]()
    report = export_model(model, tmp_path, key, formats=("savedmodel", "onnx", "litert"))
    assert set(report.onnx) == set(model.endpoints()) and report.savedmodel["parity"] and report.litert["parity"]
    assert report.to_json()["version"] == 2 and report.inputs(next(iter(model.endpoints())))
