"""The Streamlit app's shared parts: page state, charts, thumbnails and background trainings.

The pages in `pages/` and `app.py` are thin: they lay out widgets and call `tlcore`. What they
share lives here. Unlike `tlcore`, this package may import Streamlit.
"""
