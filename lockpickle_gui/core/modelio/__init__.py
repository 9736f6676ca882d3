"""What a model takes and gives: its signature, sample inputs, output summaries, verdicts.

Shared by the preview (which serves the model) and the snapshot (which records and re-checks
its outputs). numpy is imported at module level; Keras/TensorFlow only inside functions.
"""
