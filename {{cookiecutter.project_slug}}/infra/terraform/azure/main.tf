# One environment of {{ cookiecutter.project_slug }} on Azure: resource group, Log Analytics
# workspace, storage account (DVC remote + MLflow artifacts), container registry, CI identity
# (workload identity federation) and an AKS cluster. One root for every environment; staging
# and prod differ only in their values (envs/<env>.tfvars) and their state
# (envs/<env>.backend.hcl).

provider "azurerm" {
  subscription_id = var.subscription_id
  # Shared keys are disabled on the storage account: manage its data plane with Entra ID.
  storage_use_azuread = true
  features {}
}

data "azurerm_client_config" "current" {}

locals {
  name      = "${var.project}-${var.environment}"
  namespace = "${var.project}-${var.environment}"
  # Storage accounts and registries take letters and digits only, and their names are global.
  compact_name = "${substr(replace(var.project, "-", ""), 0, 14)}${substr(var.environment, 0, 4)}${var.name_suffix}"
  tags = {
    project     = var.project
    environment = var.environment
    managed-by  = "terraform"
  }
  # GitHub: the deploy identity trusts only jobs of this environment (its reviewers and branch
  # rule apply before the token is issued), the training identity only the environment
  # "training". GitLab: the subject is project_path:<path>:ref_type:branch:ref:<branch> (GitLab
  # allows no other claim in it) and a federated credential matches the subject alone, so both
  # identities trust the default branch exactly, every job on it: docs/ci-cd.md says so for prod.
  ci_oidc = {
    github = {
      issuer_url        = "https://token.actions.githubusercontent.com"
      subjects          = ["repo:${var.repository}:environment:${var.environment}"]
      training_subjects = ["repo:${var.repository}:environment:training"]
    }
    gitlab = {
      issuer_url        = "https://gitlab.com"
      subjects          = ["project_path:${var.repository}:ref_type:branch:ref:main"]
      training_subjects = ["project_path:${var.repository}:ref_type:branch:ref:main"]
    }
  }
}

resource "azurerm_resource_group" "this" {
  name     = "rg-${local.name}"
  location = var.location
  tags     = local.tags
}

resource "azurerm_log_analytics_workspace" "this" {
  name                = "log-${local.name}"
  resource_group_name = azurerm_resource_group.this.name
  location            = azurerm_resource_group.this.location
  sku                 = "PerGB2018"
  retention_in_days   = 90
  tags                = local.tags
}

module "storage" {
  source                     = "./modules/storage"
  account_name               = local.compact_name
  resource_group_name        = azurerm_resource_group.this.name
  location                   = azurerm_resource_group.this.location
  allowed_ip_ranges          = var.allowed_ip_ranges
  noncurrent_version_days    = var.noncurrent_version_days
  log_analytics_workspace_id = azurerm_log_analytics_workspace.this.id
  tags                       = local.tags
}

module "registry" {
  source              = "./modules/registry"
  name                = local.compact_name
  resource_group_name = azurerm_resource_group.this.name
  location            = azurerm_resource_group.this.location
  allowed_ip_ranges   = var.allowed_ip_ranges
  tags                = local.tags
}

module "cluster" {
  source                     = "./modules/cluster"
  name                       = "aks-${local.name}"
  resource_group_name        = azurerm_resource_group.this.name
  location                   = azurerm_resource_group.this.location
  tenant_id                  = data.azurerm_client_config.current.tenant_id
  kubernetes_version         = var.kubernetes_version
  subnet_id                  = var.subnet_id
  vm_size                    = var.vm_size
  node_count_min             = var.node_count_min
  node_count_max             = var.node_count_max
  registry_id                = module.registry.id
  log_analytics_workspace_id = azurerm_log_analytics_workspace.this.id
  tags                       = local.tags
}

module "ci_identity" {
  source              = "./modules/ci_identity"
  count               = var.ci_system == "none" ? 0 : 1
  name                = "id-${local.name}-ci"
  resource_group_name = azurerm_resource_group.this.name
  location            = azurerm_resource_group.this.location
  issuer_url          = local.ci_oidc[var.ci_system].issuer_url
  subjects            = local.ci_oidc[var.ci_system].subjects
  training_subjects   = local.ci_oidc[var.ci_system].training_subjects
  registry_id         = module.registry.id
  container_id        = module.storage.container_id
  cluster_id          = module.cluster.id
  namespace           = local.namespace
  tags                = local.tags
}
