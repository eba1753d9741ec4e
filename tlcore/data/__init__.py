"""The photo: read safely, named, gathered into datasets, and changed for augmentation.

It may import: the root modules (`tlcore.errors`, `tlcore.wording`, `tlcore.time_left`,
`tlcore.files`).

- `images`: photos read safely, and turned into pixels.
- `names`: class and project names, checked before use.
- `datasets`: labelled photos: `Dataset`, its photos and the files left out.
- `builder`: a dataset gathered while a folder or a zip is read.
- `loading`: datasets read from a folder or a zip (`load_folder`, `load_zip`).
- `examples`: the built-in example photos.
- `augmentation`: repeatable random changes to photos, and the test-time views.
"""
