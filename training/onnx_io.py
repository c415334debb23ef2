"""Running an exported model with python onnxruntime, and the parity fixture the
cockpit's Rust side checks its own runtime against; shared by the GBM
(onnx_export.py) and the PPO policy (agent_onnx.py)."""

import json

import numpy as np
import onnxruntime as ort


def run_onnx(model_bytes: bytes, rows: np.ndarray, input_name: str, output_name: str) -> np.ndarray:
    """Runs the model (one float32 input, one float32 output, both named as
    given) on float32 rows with python onnxruntime (CPU)."""
    session = ort.InferenceSession(model_bytes, providers=["CPUExecutionProvider"])
    inputs, outputs = session.get_inputs(), session.get_outputs()
    if [i.name for i in inputs] != [input_name] or [o.name for o in outputs] != [output_name]:
        raise RuntimeError(f"ONNX model has inputs {[i.name for i in inputs]} and outputs "
                           f"{[o.name for o in outputs]}, expected [{input_name}] and [{output_name}]")
    if inputs[0].type != "tensor(float)" or outputs[0].type != "tensor(float)":
        raise RuntimeError(f"ONNX model types are {inputs[0].type} -> {outputs[0].type}, expected float32")
    return session.run([output_name], {input_name: np.ascontiguousarray(rows, dtype=np.float32)})[0]


def parity_json(model_bytes: bytes, rows: np.ndarray, input_name: str, output_name: str) -> str:
    """models/<name>.parity.json: float32 rows and python onnxruntime's outputs,
    for the cockpit to check that its runtime gives the same numbers."""
    rows = np.asarray(rows, dtype=np.float32)
    outputs = run_onnx(model_bytes, rows, input_name, output_name)
    fixture = {
        "input": input_name,
        "output": output_name,
        # float(np.float32) is exact, and json writes the shortest repr that reads back
        # to the same double, which is the same float32.
        "rows": [[float(v) for v in row] for row in rows],
        "outputs": [[float(v) for v in row] for row in outputs],
    }
    return json.dumps(fixture, allow_nan=False) + "\n"
