"""Service (ML Engineers): the model API — FastAPI around the pipeline's exported ONNX model."""

from .app import create_app

__all__ = ["create_app"]
