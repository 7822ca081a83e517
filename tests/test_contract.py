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
