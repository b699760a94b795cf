"""Service (ML Engineers): the model API — FastAPI around the pipeline's exported ONNX model."""

from {{ cookiecutter.package_name }}_service.app import create_app

__all__ = ["create_app"]
