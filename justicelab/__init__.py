"""justicelab: a Justice Data Lab."""
__version__ = "0.1.0"
