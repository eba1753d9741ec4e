"""tlcore: transfer learning for image classifiers, without writing code.

The engine behind the app and the command line: photos and datasets in, a frozen pretrained
base with a small trained head, evaluation, prediction and project files out. It never imports
Streamlit. `docs/engine-api.md` lists the modules.
"""

__version__ = "0.1.0"
