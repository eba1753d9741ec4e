"""The data checks: what in a project's photos holds its model back, found from features alone.

It may import: `tlcore.features`, `tlcore.nets`, `tlcore.data` and the root modules.

- `photo_references`: which photo a finding is about.
- `calibration`: honest "how sure" for out-of-fold predictions.
- `mislabelled`: likely mislabelled photos, from out-of-fold predictions.
- `near_duplicates`: pairs of photos that look almost the same.
- `outliers`: photos far less like their class than its other photos.
- `quality`: every data check run at once, in one report.
- `health`: what in a project's photos holds its model back, and what fixes it.
- `look_cache`: each photo's sharpness and light, measured once.
- `datamap`: every photo as a point on a plane.

The whole check of a project, run by a worker and saved, is the job `tlcore.jobs.data_checks`.
"""
