"""tlcore: transfer learning for image classifiers, without writing code.

The engine behind the app and the command line: photos and datasets in, a frozen pretrained
base with a small trained head, evaluation, prediction and project files out. It never imports
Streamlit. `docs/engine-api.md` lists each module's public functions.

The modules, in the order data flows through them (photo -> features cache -> head -> project
file), each once; `tests/test_package_index.py` checks that every module is named here:

Words and limits everything uses
- `errors`: the error types, with messages for people.
- `wording`: counts in words ("1 photo", "20,000 photos").
- `names`: class and project names, checked before use.

The photo
- `images`: photos read safely, and turned into pixels.
- `datasets`: labelled photos: `Dataset`, its photos and the files left out.
- `dataset_builder`: a dataset gathered while a folder or a zip is read.
- `dataset_loading`: datasets read from a folder or a zip.
- `examples`: the built-in example photos.
- `augmentation`: repeatable random changes to photos.

The pretrained base
- `backbones`: the table of pretrained networks (one row each).
- `weights`: where the pretrained weights are found.
- `device`: the GPU, and one training at a time.
- `startup`: a quiet start for TensorFlow.
- `runtimes`: ONNX Runtime or Keras, and which runs.
- `model`: builders for the base, the head and the whole classifier.
- `onnx_base`: the frozen base through ONNX Runtime.
- `onnx_head`: a trained head written as ONNX from its weights.

The features cache, and what is learned from features alone
- `embeddings`: each photo's features, computed once and cached on disk.
- `early_features`: the command line embeds while TensorFlow is imported.
- `cosine`: how alike photos are, and the pairs above a similarity.
- `splitting`: the hold-out split, near-copies kept together.
- `calibration`: honest "how sure" for out-of-fold predictions.
- `photo_references`: which photo a finding of the data checks is about.
- `mislabelled`: likely mislabelled photos, from out-of-fold predictions.
- `near_duplicates`: pairs of photos that look almost the same.
- `outliers`: photos far less like their class than its other photos.
- `quality`: every data check run at once, in one report.
- `health`: what in a project's photos holds its model back.
- `look_cache`: each photo's sharpness and light, measured once.
- `datamap`: every photo as a point on a plane.
- `data_checks`: a project's whole data check, run by a worker and saved in the project.
- `time_left`: how long long work has left.

The head
- `training_types`: `TrainingSettings`, `Progress`, `TrainedModel` (no TensorFlow).
- `epoch_reports`: `EpochReporter`, Keras' epochs as progress reports.
- `heads`: heads fitted on features, several averaged into one.
- `head_fitting`: a head's epochs, one traced TensorFlow call each.
- `head_pairs`: the model's head and the headline's second head, fitted side by side.
- `training_views`: the augmented and test-time views a training embeds, by photo row.
- `training_progress`: a training's progress reported to the caller, phase by phase.
- `training_scores`: the "not sure" threshold, one-sitting classes, the test photos' headline.
- `training`: `train`, the head on the cached features (embed, split, fit, score).
- `finetuning`: the top of the base learning too, on pixels.
- `headline`: the accuracy to expect on new photos, with its range.
- `evaluation`: per-class figures, confusion and mistakes.
- `next_steps`: the most useful steps after a training.

The project file, and using it
- `projects`: the project file (one zip), written and read safely.
- `onnx_projects`: predictions from a project file without TensorFlow.
- `project_models`: a project file's ONNX model and description, as the web server uses it.
- `prediction`: the class of new photos.
- `batch_predictions`: many photos predicted by a worker, the answers saved as files.
- `live_frames`: live camera pictures answered fairly among viewers.
- `explanations`: Grad-CAM heatmaps of what the model looked at.
- `explanation_files`: heat maps made by a worker, kept as files for every web server.
- `export`: exports for phones, browsers and servers, each checked.
- `corrections`: a corrected photo kept in its class (the web server's part, no TensorFlow).
- `teaching`: the head retrained at once after a correction (on a worker).

The workspace that keeps it all (`store`)
- `history`: every training of a project kept, and two compared.
- `access`: who may open and change a project, and its share links.
- `test_photos`: a project's test photos, kept apart from training.
- `store`: the app's projects on disk; `from tlcore import store`.
- `store.database`: the workspace's database (SQLite, or PostgreSQL), its schema and migrations.
- `store.postgres`: the same SQL on PostgreSQL.
- `store.migration`: old workspaces' project.json files imported on first open.
- `store.project_rows`: a project's rows read and written as its metadata.
- `store.files`: the one atomic file writer of the engine.
- `store.locks`: the lock of each folder, and what was tidied.
- `store.records`: file names, limits and the records handed out.
- `store.photo_files`: a project's photo files.
- `store.model_files`: a project's trained model and its summary.
- `store.class_entries`: a project's classes in its metadata, found and added.
- `store.photo_changes`: photos added to a project, moved and removed.
- `store.project_changes`: a project's classes and photos changed (`Project`'s methods).
- `store.project_model`: a project's trained model kept, restored and loaded (`Project`'s methods).
- `store.project`: `Project`, one project.
- `store.shared_with`: the projects a visitor opened through a share link.
- `store.workspace`: `Workspace`, the folder of all projects.

The work tier: jobs in worker processes
- `job_records`: the jobs' records, shared by every server and worker.
- `job_queue`: the queue on Huey (SQLite in the workspace, or Redis).
- `job_runner`: a worker's side of a job: train, check or predict, report, save.
- `arrival_jobs`: new photos embedded by the workers, a chunk a job.
- `export_jobs`: a trained model's exports made by the workers, kept in the workspace.
- `import_jobs`: a project file opened by a worker rather than the web server.
- `model_jobs`: short jobs on a trained model: a correction, a heat map, an ONNX form.
- `project_removal`: a project deleted with its exports, heat maps, batches and jobs.
- `worker_options`: the worker command's help and options, read without importing it.
- `worker`: `python -m tlcore worker`, and the web server's local workers.

The command line
- `cli`: `python -m tlcore train|evaluate|predict|worker`.
- `__main__`: runs `cli`.

The benchmarks that measure the engine live outside it, in `benchmarks/` at the top.
"""

__version__ = "0.1.0"
