"""The agent's policy as ONNX, in the shape the cockpit loads: one input `features`
float32 [N, 21] (20 exported features, then position), one output `action_probs`
float32 [N, 4] (hold, long, short, close).

The graph is written node by node from the trained weights (no torch exporter):

  features -> Sub(mean) -> Div(std) -> Clip(-clip, clip)      fixed input normalisation
           -> Gemm(W1, b1) -> Tanh -> ... -> Gemm(Wk, bk) -> Tanh   the policy's hidden layers
           -> Gemm(W_action, b_action)                          action logits
           -> Softmax(axis 1)                                   action_probs

which is exactly the torch computation of agent_policy.py (normalisation, then
stable-baselines3's policy MLP and action head, then the categorical
distribution's softmax), so the cockpit feeds raw feature values and position.
Opset ai.onnx 17 and IR version 8, both well within onnxruntime 1.31.1; the same
weights always give the same bytes.
"""

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from onnx_io import parity_json, run_onnx

INPUT_NAME = "features"
OUTPUT_NAME = "action_probs"
OPSET = 17
IR_VERSION = 8


def policy_to_onnx(mean: np.ndarray, std: np.ndarray, clip: float,
                   layers: list[tuple[np.ndarray, np.ndarray]], n_actions: int) -> bytes:
    """layers: (weight [out, in], bias [out]) of each torch Linear in order: the
    hidden layers (each followed by tanh), then the action head (followed by softmax)."""
    n_in = len(mean)
    f32 = lambda a: np.ascontiguousarray(a, dtype=np.float32)
    inits = [numpy_helper.from_array(f32(mean), "obs_mean"),
             numpy_helper.from_array(f32(std), "obs_std"),
             numpy_helper.from_array(f32(-clip), "clip_min"),
             numpy_helper.from_array(f32(clip), "clip_max")]
    nodes = [helper.make_node("Sub", [INPUT_NAME, "obs_mean"], ["centred"], name="centre"),
             helper.make_node("Div", ["centred", "obs_std"], ["scaled"], name="scale"),
             helper.make_node("Clip", ["scaled", "clip_min", "clip_max"], ["h0"], name="clip")]
    prev = "h0"
    last = len(layers) - 1
    if layers[-1][0].shape[0] != n_actions or layers[0][0].shape[1] != n_in:
        raise ValueError("layer shapes do not match the input and the actions")
    for i, (w, b) in enumerate(layers):
        inits += [numpy_helper.from_array(f32(w), f"w{i}"), numpy_helper.from_array(f32(b), f"b{i}")]
        out = "logits" if i == last else f"z{i + 1}"
        nodes.append(helper.make_node("Gemm", [prev, f"w{i}", f"b{i}"], [out], name=f"linear{i}", transB=1))
        if i != last:
            nodes.append(helper.make_node("Tanh", [out], [f"h{i + 1}"], name=f"tanh{i}"))
            prev = f"h{i + 1}"
    nodes.append(helper.make_node("Softmax", ["logits"], [OUTPUT_NAME], name="softmax", axis=1))
    graph = helper.make_graph(
        nodes, "cockpit_policy",
        [helper.make_tensor_value_info(INPUT_NAME, TensorProto.FLOAT, ["N", n_in])],
        [helper.make_tensor_value_info(OUTPUT_NAME, TensorProto.FLOAT, ["N", n_actions])],
        initializer=inits)
    model = helper.make_model(graph, producer_name="cockpit-train-agent", producer_version="1",
                              opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = IR_VERSION
    model.doc_string = ("PPO policy: action probabilities (hold, long, short, close) from the 20 exported "
                        "features and the position; input normalisation inside the graph")
    onnx.checker.check_model(model, full_check=True)
    return model.SerializeToString()


def onnx_action_probs(model_bytes: bytes, rows: np.ndarray) -> np.ndarray:
    """Runs the policy with python onnxruntime (CPU) on float32 rows."""
    return run_onnx(model_bytes, rows, INPUT_NAME, OUTPUT_NAME)


def policy_parity_fixture(model_bytes: bytes, rows: np.ndarray) -> str:
    """models/<name>.parity.json: the policy's rows and outputs (see onnx_io)."""
    return parity_json(model_bytes, rows, INPUT_NAME, OUTPUT_NAME)
