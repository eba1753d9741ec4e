"""How good a trained model is, in figures a person can trust.

It may import: `tlcore.checks`, `tlcore.features`, `tlcore.nets`, `tlcore.data` and the root
modules.

- `metrics`: per-class figures, confusion and mistakes (`evaluate`, `Evaluation`).
- `headline`: the accuracy to expect on new photos, with its range.
- `next_steps`: the most useful steps after a training.
- `history`: every training of a project kept, and two compared.
- `testing_photos`: a project's test photos, kept apart from training.
"""
