terraform {
  # 1.9+: validation blocks may compare variables.
  required_version = ">= 1.10"

  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "~> 4.0"
    }
  }

  # Partial backend: the storage account, container and key come from envs/<env>.backend.hcl
  # (terraform init -backend-config=envs/<env>.backend.hcl -reconfigure).
  backend "azurerm" {}
}
