"""The Streamlit app's parts: page state, words, charts, panels and the jobs a page follows.

The pages in `pages/` and `app.py` are thin: they lay out widgets and call `tlcore`. What they
share lives here. Unlike `tlcore`, this package may import Streamlit; it never imports
TensorFlow (the workers do that work).

The rooms, from the bottom up:

- `messages`: the words the pages say about what happened.
- `figures`: the headline and every accuracy, with its range and count, in words.
- `tables`: tables of results, and their CSV files.
- `media`: thumbnails of stored photos, cached once made.
- `paging`: long lists shown a page at a time.
- `charts`: the Plotly charts, one module a kind of chart.
- `jobs`: the work a page queues for the workers, and its progress read back from the records.
- `state`: what every page shares: the owner token, the open project, messages, errors.
- `engine`: a project's trained model for the pages, without TensorFlow.
- `panels`: the parts of pages that hold a form or a view of their own (teach, live camera,
  history, sharing, heat maps, ...).
"""

# The live camera's WebRTC library (aiortc) loads libsrtp through pylibsrtp, which crashes the
# whole process (a segmentation fault in `srtp_init`) when it is loaded after TensorFlow: its
# OpenSSL calls then reach TensorFlow's own copy of those functions. Every page imports this
# package before anything loads TensorFlow, so loading it here puts it first.
import pylibsrtp  # noqa: F401
