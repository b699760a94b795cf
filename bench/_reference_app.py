"""Bench reference: the same trained model served the way tutorials do — scikit-learn + a DataFrame per request.

Run inside a baked project's development environment (it needs scikit-learn, pandas and
skops, which the real service never installs):

    .venv/bin/python /path/to/template/bench/_reference_app.py --model models/model.skops --port 8001

It exists only so bench/service.py can compare the generated service against it.
"""

from __future__ import annotations

import argparse
from typing import Any

import pandas as pd
import skops.io as sio
import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel


class Penguin(BaseModel):
    island: str
    bill_length_mm: float
    bill_depth_mm: float
    flipper_length_mm: float
    body_mass_g: float
    sex: str


def build(model_path: str) -> FastAPI:
    model = sio.load(model_path)  # scikit-learn in the request path: the real service never does this
    app = FastAPI()

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/v1/predict")
    def predict(penguin: Penguin) -> dict[str, Any]:
        frame = pd.DataFrame([penguin.model_dump()])
        probabilities = model.predict_proba(frame)[0]
        best = int(probabilities.argmax())
        return {
            "prediction": str(model.classes_[best]),
            "probabilities": {str(label): float(p) for label, p in zip(model.classes_, probabilities, strict=True)},
        }

    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True)
    parser.add_argument("--port", type=int, default=8001)
    options = parser.parse_args()
    uvicorn.run(build(options.model), host="127.0.0.1", port=options.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
