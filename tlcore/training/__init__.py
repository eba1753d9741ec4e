"""Training: a new head on the frozen base's cached features, and fine-tuning after it.

Start at `trainer.train(dataset, settings, on_progress=...)`; its settings and result are in
`types` (importable without TensorFlow).

It may import: `tlcore.evaluation`, `tlcore.checks`, `tlcore.features`, `tlcore.nets`,
`tlcore.data` and the root modules.

- `types`: `TrainingSettings`, `Progress`, `TrainedModel` (no TensorFlow).
- `trainer`: `train`, the head on the cached features (embed, split, fit, score).
- `views`: the augmented and test-time views a training embeds, by photo row.
- `heads`: heads fitted on features, several averaged into one.
- `head_fitting`: a head's epochs, one traced TensorFlow call each.
- `head_pairs`: the model's head and the headline's second head, fitted side by side.
- `epoch_reports`: `EpochReporter`, Keras' epochs as progress reports.
- `reporting`: a training's progress reported to the caller, phase by phase.
- `scores`: the "not sure" threshold, one-sitting classes, the test photos' headline.
- `finetuning`: the top of the base learning too, on pixels.
"""
