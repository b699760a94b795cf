terraform {
  # 1.9+: validation blocks may compare variables.
  required_version = ">= 1.10"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 7.0"
    }
  }

  # Partial backend: the bucket and prefix come from backend.hcl beside this file
  # (terraform init -backend-config=backend.hcl).
  backend "gcs" {}
}
