"""The trained head written as ONNX straight from its weights, in milliseconds.

The head (`nets.model.build_head`) is two Dense layers, with Dropout between them that does nothing
at inference, or several such heads averaged (`training.heads.average_heads`). Writing those few
nodes directly takes milliseconds, where tf2onnx traces and optimises a TensorFlow graph for a
second or more and adds its own memory to the training process; the tf2onnx path stays for
any head this module does not know (`UnsupportedHeadError`). Either way the result is compared
with the Keras head on real features before it is used (`nets.onnx_base.project_classifier`).
"""

import numpy as np
import onnx
from onnx import helper, numpy_helper

from tlcore.nets import runtimes

# The Keras activations of a Dense layer, as ONNX operators; "linear" adds none.
_ACTIVATIONS = {"relu": "Relu", "softmax": "Softmax", "sigmoid": "Sigmoid", "linear": None}


class UnsupportedHeadError(ValueError):
    """A head with a layer this writer does not know; tf2onnx converts it instead."""


class _Graph:
    """The nodes and weights of the ONNX graph being written, with unique names."""

    def __init__(self):
        self.nodes: list = []
        self.initializers: list = []

    def add_weight(self, name: str, array: np.ndarray) -> str:
        self.initializers.append(numpy_helper.from_array(np.asarray(array, np.float32), name))
        return name

    def add_node(self, operator: str, inputs: list[str], output: str, **attributes) -> str:
        self.nodes.append(helper.make_node(operator, inputs, [output], name=output, **attributes))
        return output


def _dense(graph: _Graph, layer, value: str, prefix: str) -> str:
    """Writes one Dense layer: MatMul, Add of the bias, then its activation."""
    weights = layer.get_weights()
    if len(weights) != 2:
        raise UnsupportedHeadError(f"the layer {layer.name} has no bias")
    activation = getattr(layer.activation, "__name__", str(layer.activation))
    if activation not in _ACTIVATIONS:
        raise UnsupportedHeadError(f"the activation {activation} is not known")
    name = f"{prefix}{layer.name}"
    product = graph.add_node(
        "MatMul", [value, graph.add_weight(f"{name}/kernel", weights[0])], f"{name}/matmul"
    )
    value = graph.add_node(
        "Add", [product, graph.add_weight(f"{name}/bias", weights[1])], f"{name}/add"
    )
    operator = _ACTIVATIONS[activation]
    if operator is None:
        return value
    attributes = {"axis": -1} if operator == "Softmax" else {}
    return graph.add_node(operator, [value], f"{name}/{activation}", **attributes)


def _chain(graph: _Graph, head, value: str, prefix: str) -> str:
    """Writes a head whose layers follow one another: Dense layers, with Dropout skipped."""
    for layer in head.layers:
        kind = type(layer).__name__
        if kind in ("InputLayer", "Dropout"):
            continue
        if kind != "Dense":
            raise UnsupportedHeadError(f"the layer {layer.name} is a {kind}")
        value = _dense(graph, layer, value, prefix)
    return value


def head_onnx(head, input_name: str = "features", output_name: str = "probabilities") -> bytes:
    """Writes a trained head as an ONNX model: features in, probabilities out.

    Args:
        head: The Keras head: Dense layers (Dropout between them), or heads of that kind joined
            by an Average layer.
        input_name: The ONNX input's name.
        output_name: The ONNX output's name.

    Returns:
        The `.onnx` file's bytes, at operator set `nets.runtimes.OPSET`.

    Raises:
        UnsupportedHeadError: For any other layer or activation.
    """
    graph = _Graph()
    kinds = [type(layer).__name__ for layer in head.layers]
    if "Average" in kinds:
        members = [
            layer for layer in head.layers if type(layer).__name__ in ("Functional", "Model")
        ]
        if len(members) + 2 != len(kinds):
            raise UnsupportedHeadError("the averaged heads hold other layers")
        outputs = [_chain(graph, member, input_name, f"{member.name}/") for member in members]
        value = graph.add_node("Mean", outputs, "average")
    else:
        value = _chain(graph, head, input_name, "")
    graph.add_node("Identity", [value], output_name)
    feature_count = int(head.inputs[0].shape[-1])
    class_count = int(head.outputs[0].shape[-1])
    model = helper.make_model(
        helper.make_graph(
            graph.nodes,
            "head",
            [
                helper.make_tensor_value_info(
                    input_name, onnx.TensorProto.FLOAT, [None, feature_count]
                )
            ],
            [
                helper.make_tensor_value_info(
                    output_name, onnx.TensorProto.FLOAT, [None, class_count]
                )
            ],
            graph.initializers,
        ),
        opset_imports=[helper.make_opsetid("", runtimes.OPSET)],
    )
    onnx.checker.check_model(model)
    return model.SerializeToString()
