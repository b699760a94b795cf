terraform {
  # 1.9+: validation blocks may compare variables; 1.10+: S3 state locking without DynamoDB.
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
  }

  # Partial backend: the bucket, key and region come from backend.hcl beside this file
  # (terraform init -backend-config=backend.hcl), so no account detail is hard-coded here.
  backend "s3" {}
}
