"""The parts of pages that hold a form or a view of their own; a page lays them out.

- `new_class`: Collect's "New class" form.
- `photo_uploads`: photos added on Collect: uploaded or photographed into a class, or a zip.
- `class_cards`: Collect's class cards: name, menu, uploads, photos; searched among many.
- `readiness`: Collect's photos per class, and whether the project is ready to train.
- `training_settings`: Train's advanced settings, each with a default that works well.
- `augmentation_preview`: Train's preview of the changed copies of a photo that training sees.
- `training_job`: Train's button, and its job: its place in the queue, progress, live chart, Cancel.
- `last_training`: Train's last training: how good, its learning chart and the next steps.
- `history`: Train's history of trainings, two compared, an earlier one made current again.
- `health`: data health on Check data and the next steps on Train.
- `evaluation_headline`: Evaluate's accuracy to expect on new photos, with its range, in words.
- `class_accuracy`: Evaluate's accuracy of each class, with its range; a table among many.
- `confusion_matrix`: Evaluate's clickable confusion matrix and the photos behind a square.
- `evaluated_photos`: Evaluate's photo cards, with what the model looked at; its mistakes.
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
