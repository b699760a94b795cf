"""Pipelines (MLOps): the stages DVC runs to turn raw data into a validated, registered, watched model."""
