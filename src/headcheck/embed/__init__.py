"""Sentence embeddings: finding and loading the model (torch, ONNX), static vectors, the
cache folder."""
