"""Benchmarks of the engine and the app: speed, memory and accuracy figures, with their machine.

Each benchmark runs as `python -m benchmarks.<name>` from the repository's root, prints its
figures with the machine's load as it goes, and records them in `benchmarks/results/<name>.json`
(`results`); `report` renders every recorded run into docs/benchmarks.md. `make bench` runs them
all and then the report; `make bench-report` renders the report alone. The app and the engine
never import this package. The real photos are looked for beside the repository
(`../shared/data/grocery-store`, or `--data`), the pretrained weights in `$TLCORE_WEIGHTS_DIR`,
else `../shared/weights`, else Keras' cache.

- `bench`: the main benchmark: the plain recipe against tlcore's, training, prediction, memory
  and accuracy on real photos, with `bench_runtimes` first.
- `bench_runtimes`: Keras against ONNX Runtime, side by side (part of `bench`).
- `bench_scale`: a project of 20,000 photos in 200 classes, end to end, through a worker.
- `scale_photos`: the 20,000 photos made from the real ones, for `bench_scale`.
- `bench_teach`: seconds from a correction to the updated model.
- `teach_jobs`: corrections through the job path, for `bench_teach --jobs`.
- `bench_live`: the live camera's answers a second and latency, for simulated viewers.
- `bench_live_browser`: the live camera through Chromium, WebRTC and the app.
- `bench_flags`: how trustworthy the "maybe in the wrong class" flags are.
- `bench_jobs`: the work tier: a worker's start, memory, latency, stop, a killed worker's job.
- `bench_arrivals`: new photos embedded by the workers, and the wait of a training behind them.
- `bench_database`: the store on large metadata (a 20,000-photo project, 100 projects).
- `results`: the figures of a run recorded as JSON, with the machine, date, command and load.
- `report`: docs/benchmarks.md rendered from the recorded runs.

The benchmarks that need a worker, a server or a browser borrow the tests' helpers
(`tests/job_fixtures.py`, `tests/server_fixtures.py`, ...), so they need the test requirements.
"""
