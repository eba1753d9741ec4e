"""The pretrained networks: which, where their weights are, how they run, and their answers.

It may import: `tlcore.data` and the root modules.

- `backbones`: the table of pretrained networks (`BACKBONES`, one row each).
- `weights`: where the pretrained weights are found (a folder, Keras' cache, a download).
- `device`: the GPU, and one training at a time.
- `startup`: a quiet start for TensorFlow.
- `runtimes`: ONNX Runtime or Keras, and which runs.
- `model`: builders for the base, the head and the whole classifier.
- `onnx_base`: the frozen base through ONNX Runtime, converted once and cached.
- `onnx_head`: a trained head written as ONNX from its weights.
- `prediction`: a trained classifier's answers for photos and camera frames, and "not sure".
"""
