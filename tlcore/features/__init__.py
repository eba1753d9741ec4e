"""Each photo's features, computed once by the frozen base and kept on disk, and how alike they are.

It may import: `tlcore.nets`, `tlcore.data` and the root modules.

- `embeddings`: each photo's features, computed once and cached on disk.
- `early_embeddings`: the command line embeds while TensorFlow is imported.
- `cosine`: how alike photos are, and the pairs above a similarity.
- `splitting`: the hold-out split, near-copies kept together in groups.
"""
