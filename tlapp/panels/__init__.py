"""The parts of pages that hold a form or a view of their own; a page lays them out.

- `new_class`: Collect's "New class" form.
- `photo_uploads`: photos added on Collect: uploaded or photographed into a class, or a zip.
- `class_cards`: Collect's class cards: name, menu, uploads, photos; searched among many.
- `readiness`: Collect's photos per class, and whether the project is ready to train.
- `training_job`: a training job on Train: its place in the queue, progress, live chart, Cancel.
- `history`: Train's history of trainings, two compared, an earlier one made current again.
- `health`: data health on Check data and the next steps on Train.
- `testing_photos`: test photos, added and removed on Evaluate, counted on Collect.
- `try_photo`: Predict's "Try one of your set-aside photos".
- `live`: the live camera on Predict, answered as it is filmed.
- `live_record`: recording from the live camera into a class on Collect.
- `teach`: teaching by correction on Predict: "Wrong? It is ...".
- `explain`: what the model looked at: a heat map over a photo.
- `export`: Export's further formats, prepared by the workers.
- `project_import`: Export's "Open a project file", loaded by a worker.
- `sharing`: Home's Share menu, and the projects shared with this browser.
"""
