"""Export: three formats written, named, builtin-only, and verified against Keras on write."""

import json
import re
import shutil
import socket
import subprocess
import time
import urllib.request

import numpy as np
import onnx
import pytest
from conftest import portable_check, tiny_dcgan

import zoo
from export import ParityError, export_model, verify
from export.writers import next_version


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    out = tmp_path_factory.mktemp("exports")
    model = tiny_dcgan()
    report = export_model(model, out, "tiny")
    return model, out, report


def test_report_records_parity_within_tolerance_for_every_format(exported):
    _, out, report = exported
    assert json.loads((out / "tiny.export.json").read_text()) == json.loads(json.dumps(report.to_json()))
    diffs = [
        report["savedmodel"]["parity"]["sample"],
        report["onnx"]["sample"]["parity"],
        report["litert"]["parity"]["sample"],
    ]
    for d in diffs:
        assert set(d) == {"images", "images_uint8"} and max(d.values()) <= 1e-4


def test_savedmodel_has_tf_serving_layout_and_named_signatures(exported):
    model, out, _ = exported
    import tensorflow as tf

    assert (out / "tiny" / "1" / "saved_model.pb").is_file()
    loaded = tf.saved_model.load(str(out / "tiny" / "1"))
    assert set(loaded.signatures) == {"serving_default", "sample"}
    fn = loaded.signatures["serving_default"]
    assert list(fn.structured_input_signature[1]) == ["z"]
    z = model.latents(5, seed=4)
    got = fn(z=tf.constant(z))
    assert got["images_uint8"].dtype == tf.uint8
    np.testing.assert_allclose(got["images"].numpy(), model.sample(5, seed=4), atol=1e-5)


@pytest.mark.slow
def test_saved_model_cli_sees_the_serving_signature(exported):
    _, out, _ = exported
    cli = shutil.which("saved_model_cli")
    if cli is None:
        pytest.skip("saved_model_cli not on PATH")
    shown = subprocess.run(
        [cli, "show", "--dir", str(out / "tiny" / "1"), "--tag_set", "serve", "--signature_def", "serving_default"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "inputs['z']" in shown and "outputs['images_uint8']" in shown and "DT_UINT8" in shown


def test_onnx_names_and_opset(exported):
    _, out, _ = exported
    proto = onnx.load(str(out / "tiny.sample.onnx"))
    onnx.checker.check_model(proto)
    assert [i.name for i in proto.graph.input] == ["z"]
    assert sorted(o.name for o in proto.graph.output) == ["images", "images_uint8"]
    assert max(op.version for op in proto.opset_import if op.domain in ("", "ai.onnx")) <= 18


def test_litert_is_builtin_only_and_runs_another_batch_size(exported):
    model, out, _ = exported
    ops = verify.litert_ops(out / "tiny.tflite")
    assert ops and not [op for op in ops if op.startswith("Flex") or op == "CUSTOM"]
    got = verify.run_litert(out / "tiny.tflite", "sample", {"z": model.latents(7, seed=1)})
    np.testing.assert_allclose(got["images"], model.sample(7, seed=1), atol=1e-4)


def test_versions_count_up_and_nothing_half_written_stays(tmp_path):
    model = tiny_dcgan()
    export_model(model, tmp_path, "m", formats=("savedmodel",))
    export_model(model, tmp_path, "m", formats=("savedmodel",))
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == ["1", "2"]
    assert next_version(tmp_path / "m") == 3


def test_parity_failure_names_output_and_size_and_leaves_no_file(tmp_path, monkeypatch):
    real = verify.run_onnx

    def off_by_a_little(path, inputs):
        result = real(path, inputs)
        result["images"] = result["images"] + 3e-3
        return result

    monkeypatch.setattr(verify, "run_onnx", off_by_a_little)
    with pytest.raises(
        ParityError, match=r"onnx: endpoint 'sample' output 'images' differs from Keras by max abs 0\.003"
    ):
        export_model(tiny_dcgan(), tmp_path, "bad", formats=("onnx",))
    assert not list(tmp_path.glob("bad*.onnx*"))


def test_compare_allows_one_step_on_integer_outputs_only():
    want = {"f": np.zeros(3, np.float32), "u": np.array([1, 2, 3], np.uint8)}
    assert (
        verify.compare("x", "e", want, {"f": np.full(3, 5e-5, np.float32), "u": np.array([2, 2, 3], np.uint8)})["u"]
        == 1
    )
    with pytest.raises(ParityError, match="'u'"):
        verify.compare("x", "e", want, {"f": want["f"], "u": np.array([3, 2, 3], np.uint8)})
    with pytest.raises(ParityError, match="'f'"):
        verify.compare("x", "e", want, {"f": np.full(3, np.nan, np.float32), "u": want["u"]})


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_real_tf_serving_answers_like_keras(exported):
    server = shutil.which("tensorflow_model_server")
    if server is None:
        pytest.skip("tensorflow_model_server is not on PATH (TF Serving ships as a Docker image / apt repo only)")
    from export.serving import parse_config

    model, out, _ = exported
    port, grpc_port = _free_port(), _free_port()
    # The config files the export wrote, with base_path pointed at this folder instead of /models.
    models = parse_config("models", (out / "tiny.models.config").read_text())
    models.model_config_list.config[0].base_path = str(out / "tiny")
    (out / "local.models.config").write_text(str(models))
    proc = subprocess.Popen(
        [
            server,
            f"--rest_api_port={port}",
            f"--port={grpc_port}",
            f"--model_config_file={out / 'local.models.config'}",
            "--enable_batching",
            f"--batching_parameters_file={out / 'tiny.batching.config'}",
            f"--monitoring_config_file={out / 'tiny.monitoring.config'}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}/v1/models/tiny"
        for _ in range(100):
            try:
                if b"AVAILABLE" in urllib.request.urlopen(url, timeout=1).read():
                    break
            except OSError:
                time.sleep(0.2)
        # The generated REST body, as written next to the export.
        body = json.loads((out / "tiny.sample.request.json").read_text())
        reply = json.loads(urllib.request.urlopen(url + ":predict", data=json.dumps(body).encode(), timeout=30).read())
        metrics = urllib.request.urlopen(f"http://127.0.0.1:{port}/monitoring/prometheus/metrics", timeout=5).read()
        assert b":tensorflow:" in metrics  # the monitoring config took effect
        z = np.asarray([row["z"] for row in body["instances"]], np.float32)
        images = np.array([p["images"] for p in reply["predictions"]])
        np.testing.assert_allclose(images, model.endpoints()["sample"](z=z)["images"], atol=1e-4)
        # gRPC: the warm-up requests, sent as they are.
        import grpc
        import tensorflow as tf
        from tensorflow_serving.apis import predict_pb2, prediction_service_pb2_grpc

        from export.serving import read_warmup

        stub = prediction_service_pb2_grpc.PredictionServiceStub(grpc.insecure_channel(f"127.0.0.1:{grpc_port}"))
        for signature, inputs in read_warmup(out / "tiny" / "1"):
            request = predict_pb2.PredictRequest()
            request.model_spec.name, request.model_spec.signature_name = "tiny", signature
            for key, value in inputs.items():
                request.inputs[key].CopyFrom(tf.make_tensor_proto(value))
            answer = stub.Predict(request, timeout=30)
            np.testing.assert_allclose(
                tf.make_ndarray(answer.outputs["images"]), model.endpoints()[signature](**inputs)["images"], atol=1e-4
            )
    finally:
        proc.kill()


# --- serving files and portability --------------------------------------------------------------
def test_warmup_requests_run_through_the_savedmodel(exported):
    import tensorflow as tf

    from export.serving import read_warmup

    model, out, report = exported
    version = out / "tiny" / "1"
    assert (version / "assets.extra" / "tf_serving_warmup_requests").is_file()
    requests = read_warmup(version)
    assert [signature for signature, _ in requests] == ["sample"]
    loaded = tf.saved_model.load(str(version))
    for signature, inputs in requests:
        got = loaded.signatures[signature](**{k: tf.constant(v) for k, v in inputs.items()})
        np.testing.assert_allclose(got["images"].numpy(), model.endpoints()[signature](**inputs)["images"], atol=1e-5)


def test_rest_body_is_a_valid_request_for_its_signature(exported):
    import tensorflow as tf

    from export.serving import columns

    model, out, report = exported
    body = json.loads((out / "tiny.sample.request.json").read_text())
    assert body["signature_name"] == "sample" and len(body["instances"]) == 2
    inputs = {k: v.astype(np.float32) for k, v in columns(body).items()}
    loaded = tf.saved_model.load(str(out / "tiny" / "1"))
    got = loaded.signatures[body["signature_name"]](**{k: tf.constant(v) for k, v in inputs.items()})
    np.testing.assert_allclose(got["images"].numpy(), model.endpoints()["sample"](**inputs)["images"], atol=1e-5)
    curl = (out / "tiny.curl.sh").read_text()
    assert "docker run" in curl and "-d @tiny.sample.request.json" in curl and "/v1/models/tiny:predict" in curl
    manifest = (out / "tiny.kserve.yaml").read_text()
    assert "kind: InferenceService" in manifest and "name: tiny" in manifest and "name: tensorflow" in manifest


def test_exports_run_without_tensorflow(exported):
    """The .tflite and .onnx files run with only ai-edge-litert / onnxruntime + numpy, in a process
    where TensorFlow cannot be imported, and match the Keras outputs saved at export time."""
    _, out, _ = exported
    report = portable_check(out, "tiny")
    assert report["litert"]["sample"] <= 1e-4 and report["onnx"]["sample"] <= 1e-4 and report["ort"]["sample"] <= 1e-4
    assert report["tensorflow_importable"] is False


def test_quantized_litert_variants(exported):
    from ai_edge_litert.interpreter import Interpreter

    model, out, report = exported
    variants = report["litert_quantized"]
    assert set(variants) == {"float16", "dynamic", "int8"}
    z = model.latents(3, seed=9)
    for variant, entry in variants.items():
        if "skipped" in entry:  # an int8 file the interpreter cannot run is reported, not shipped
            assert variant == "int8" and not (out / f"tiny.{variant}.tflite").exists()
            continue
        assert (out / f"tiny.{variant}.tflite").is_file()
        assert not [op for op in entry["ops"] if op.startswith("Flex") or op == "CUSTOM"]
        got = Interpreter(model_path=entry["path"]).get_signature_runner("sample")(z=z)["images"]
        assert got.dtype == np.float32 and np.all(np.isfinite(got))  # float in, float out, on any variant
        assert np.abs(got - model.sample(3, seed=9)).max() < 0.5
    assert "skipped" in variants["int8"] or {"QUANTIZE", "DEQUANTIZE"} & set(variants["int8"]["ops"])


@pytest.mark.slow
def test_int8_calibration_uses_training_data():
    from export import representative_inputs
    from zoo.autoencoders import ConvAutoencoder
    from zoo.data import load_images, scale_images

    model = ConvAutoencoder()
    assert model.calibration_inputs(4) == {}  # no run, no data: the declared distributions
    model.attach_recipe(load_images("mnist5k", "train").recipe())
    pairs = list(representative_inputs(model, model.endpoints(), n=4))
    assert {key for key, _ in pairs} == {"encode", "decode", "reconstruct", "anomaly_score"}
    images = [inputs["images"] for key, inputs in pairs if key == "reconstruct"]
    np.testing.assert_array_equal(np.concatenate(images), scale_images(load_images("mnist5k", "train").images[:4]))


@pytest.mark.slow
def test_every_shipped_entry_exports_with_the_default_command_and_replays_without_tensorflow(shipped_exports):
    """`python -m export NAME` (every format) of every shipped entry exits 0, says what it skipped and
    why, and every file it wrote (float and quantized .tflite, .onnx, .ort) replays without TensorFlow."""
    out, result = shipped_exports
    assert result.returncode == 0, result.stderr[-3000:]
    names = zoo.available()
    for name in names:
        report = json.loads((out / f"{name}.export.json").read_text())
        assert "path" in report["litert"] and report["onnx"] and (out / name / "1" / "saved_model.pb").is_file()
        for variant, entry in report["litert_quantized"].items():
            assert ("path" in entry) != ("skipped" in entry), (name, variant)
            if "skipped" in entry:
                assert f"{variant:10s} skipped: " in result.stdout
        assert f"report     {out}/{name}.export.json" in result.stdout
    assert "... litert-quantized:" in result.stderr  # stages are announced as they start
    # The printed parity is the float outputs' (it once printed 1 for a uint8 output rounded at .5).
    printed = [float(v) for v in re.findall(r"parity max abs diff ([^;)\s]+)", result.stdout)]
    assert len(printed) >= 4 * len(names) and max(printed) <= 1e-4, max(printed)
    assert all(s == "1" for s in re.findall(r"integer outputs within (\S+) step", result.stdout))
    replayed = portable_check(out, *names)
    assert set(replayed) == set(names)
    for name, report in replayed.items():
        offered = [v for v, e in json.loads((out / f"{name}.export.json").read_text())["litert_quantized"].items()]
        shipped = [v for v in offered if (out / f"{name}.{v}.tflite").is_file()]
        assert sorted(report["litert_quantized"]) == sorted(shipped), name
        assert report["litert"] and report["onnx"] and report["ort"], name


def test_cli_reports_a_variant_not_offered_for_a_recurrent_entry(shipped_exports):
    """`python -m export` of a recurrent entry used to write every file, then fail with KeyError on
    the int8 variant it does not offer; it now says why that file is not there and exits 0."""
    out, result = shipped_exports
    assert result.returncode == 0, result.stderr[-3000:]
    assert "int8       skipped: not offered for this model" in result.stdout
    report = json.loads((out / "lstm-stacked-sunspots.export.json").read_text())
    assert (
        set(report["litert_quantized"]) == {"float16", "dynamic", "int8"}
        and "path" in report["litert_quantized"]["dynamic"]
    )
    assert report["litert_calibration"]["forecast"].startswith("first 64 training examples of sunspots")
