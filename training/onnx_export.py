"""LightGBM -> ONNX, in the shape the cockpit loads: one input `features` float32
[N, K], one output `probabilities` float32 [N, 2] (column 1 = take profit first)."""

import lightgbm as lgb
import numpy as np
import onnx
import onnxmltools
from onnx.utils import Extractor
from onnxmltools.convert.common.data_types import FloatTensorType

from onnx_io import parity_json, run_onnx

INPUT_NAME = "features"
OUTPUT_NAME = "probabilities"
# The highest main-domain opset onnxmltools' LightGBM converter accepts; it emits the
# lowest opsets the graph needs (ai.onnx 9, ai.onnx.ml 1), all within onnxruntime 1.31.1.
TARGET_OPSET = 15


def to_onnx(booster: lgb.Booster, n_inputs: int) -> bytes:
    converted = onnxmltools.convert_lightgbm(
        booster, name="cockpit_gbm",
        initial_types=[(INPUT_NAME, FloatTensorType([None, n_inputs]))],
        zipmap=False,  # a plain tensor, not a sequence of maps
        target_opset=TARGET_OPSET)
    # The converter also emits a `label` output declared with a wrong fixed shape [1];
    # the cockpit reads only the probabilities, so keep just the subgraph to them.
    model = Extractor(converted).extract_model([INPUT_NAME], [OUTPUT_NAME])
    model.producer_name = converted.producer_name
    # The converter lists opsets in set order (random per process): sort them so
    # that the same booster always gives the same bytes and sha256.
    opsets = sorted(((o.domain, o.version) for o in model.opset_import))
    del model.opset_import[:]
    for domain, version in opsets:
        model.opset_import.add(domain=domain, version=version)
    model.producer_version = converted.producer_version
    onnx.checker.check_model(model, full_check=True)
    return model.SerializeToString()


def onnx_probabilities(model_bytes: bytes, rows: np.ndarray) -> np.ndarray:
    """Runs the ONNX model on float32 rows with python onnxruntime (CPU)."""
    return run_onnx(model_bytes, rows, INPUT_NAME, OUTPUT_NAME)


def parity_fixture(model_bytes: bytes, rows: np.ndarray) -> str:
    """models/<name>.parity.json: the GBM's rows and outputs (see onnx_io)."""
    return parity_json(model_bytes, rows, INPUT_NAME, OUTPUT_NAME)
