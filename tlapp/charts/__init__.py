"""The app's charts, drawn with Plotly: one module a kind of chart, their style in `common`.

- `common`: the colours, the layout, and reading a click back.
- `class_counts`: how many photos each class has (Collect).
- `learning`: how often the model is right, round by round (Train).
- `evaluation`: each class's accuracy and the confusion matrix, clickable (Evaluate).
- `confusion`: the pairs most often confused, for confusion matrices of many classes.
- `probabilities`: the model's probability for each class of one photo (Predict).
- `data_map`: every photo as a point, placed by what the model sees in it (Check data).
"""
