"""The data lab service: organisations submit, analysts review, results are published."""
