"""The Streamlit app's shared parts: page state, charts, thumbnails and background trainings.

The pages in `pages/` and `app.py` are thin: they lay out widgets and call `tlcore`. What they
share lives here. Unlike `tlcore`, this package may import Streamlit.
"""

# The live camera's WebRTC library (aiortc) loads libsrtp through pylibsrtp, which crashes the
# whole process (a segmentation fault in `srtp_init`) when it is loaded after TensorFlow: its
# OpenSSL calls then reach TensorFlow's own copy of those functions. Every page imports this
# package before anything loads TensorFlow, so loading it here puts it first.
import pylibsrtp  # noqa: F401
