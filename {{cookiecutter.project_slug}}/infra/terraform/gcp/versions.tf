terraform {
  # 1.9+: validation blocks may compare variables.
  required_version = ">= 1.10"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 7.0"
    }
  }

  # Partial backend: the bucket and prefix come from envs/<env>.backend.hcl
  # (terraform init -backend-config=envs/<env>.backend.hcl -reconfigure).
  backend "gcs" {}
}
