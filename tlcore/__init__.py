"""tlcore: transfer learning for image classifiers, without writing code.

The engine behind the app, the command line and the workers: photos and datasets in, a frozen
pretrained base with a small trained head, evaluation, prediction and project files out. It never
imports Streamlit. The reference of every public function is generated from the docstrings
(`make docs`, into `docs/api/`).

Data flows one way: photo -> features cache -> head -> project file -> answers. The rooms, from
the bottom up; a room imports only the rooms listed before it (`tests/test_rooms.py` checks
this, reading each room's "It may import" line):

- `errors`: the error types, with messages for people.
- `wording`: counts in words ("1 photo", "20,000 photos").
- `time_left`: how long long work has left.
- `files`: the one atomic file writer of the engine (temporary file, fsync, rename).
- `data`: the photo: reading it safely, names, datasets, the example photos, augmentation.
- `nets`: the pretrained networks: the backbone table, weights, runtimes, builders, ONNX, and
  a classifier's answers for photos.
- `features`: each photo's features, computed once and cached; how alike photos are; the
  hold-out split made of look-alike groups.
- `checks`: what the data checks find: mislabelled photos, near-copies, outliers, data health,
  the data map.
- `evaluation`: how good a model is: metrics, the headline with its range, next steps, the
  history of trainings, test photos.
- `training`: a head trained on the cached features, fine-tuning, and what a training reports.
- `serving`: a trained model put to use: the project file, ONNX answers without TensorFlow,
  live frames, heat maps, exports.
- `store`: the workspace that keeps every project: its database, photos, models, share links.
- `jobs`: the work tier: the queue, the job records, the worker, and each kind of job.
- `cli`: `python -m tlcore train|evaluate|predict|worker` (also the `tlcore` command).
- `__main__`: runs `cli`.

The benchmarks that measure the engine live outside it, in `benchmarks/` at the top.
"""

__version__ = "0.2.0"
