"""The work tier: jobs queued by the web servers and run by worker processes.

A web server queues a job (`queue`) and writes its record (`records`); a worker (`worker`)
takes it off the queue and runs it (`runner`), which looks its kind up in the runner's table
and calls that kind's module below. Every page reads a job's progress from its record.

It may import: `tlcore.store`, `tlcore.serving`, `tlcore.training`, `tlcore.evaluation`,
`tlcore.checks`, `tlcore.features`, `tlcore.nets`, `tlcore.data` and the root modules. Only
`cli` imports it.

- `records`: the jobs' records, shared by every server and worker.
- `queue`: the queue on Huey (SQLite in the workspace, or Redis).
- `runner`: a worker's side of a job: train, check or predict, report, save.
- `worker`: `python -m tlcore worker`, and the web server's local workers.
- `worker_options`: the worker command's help and options, read without importing it.
- `arrivals`: new photos embedded by the workers, a chunk a job.
- `data_checks`: a project's whole data check, run by a worker and saved in the project.
- `batch_predictions`: many photos predicted by a worker, the answers saved as files.
- `exports`: a trained model's exports made by the workers, kept in the workspace.
- `imports`: a project file opened by a worker rather than the web server.
- `model_work`: short jobs on a trained model: a correction, a heat map, an ONNX form.
- `teaching`: the head retrained at once after a correction.
- `explanation_files`: heat maps made by a worker, kept as files for every web server.
- `project_removal`: a project deleted with its exports, heat maps, batches and jobs.
"""
