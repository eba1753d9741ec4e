"""A trained model put to use: kept in a project file, answering photos, frames and exports.

It may import: `tlcore.training`, `tlcore.evaluation`, `tlcore.checks`, `tlcore.features`,
`tlcore.nets`, `tlcore.data` and the root modules.

- `project_file`: the project file (one zip), written and read safely.
- `onnx_project`: predictions from a project file without TensorFlow.
- `project_models`: a project file's ONNX model and description, as the web server uses it.
- `live_frames`: live camera pictures answered fairly among viewers.
- `explanations`: Grad-CAM heatmaps of what the model looked at.
- `export`: exports for phones, browsers and servers, each checked.
"""
