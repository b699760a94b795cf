terraform {
  # 1.9+: validation blocks may compare variables; 1.10+: S3 state locking without DynamoDB.
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
  }

  # Partial backend: the bucket, key and region come from envs/<env>.backend.hcl
  # (terraform init -backend-config=envs/<env>.backend.hcl -reconfigure), so no account
  # detail is hard-coded here.
  backend "s3" {}
}
