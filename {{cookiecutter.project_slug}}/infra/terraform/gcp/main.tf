# One environment of {{ cookiecutter.project_slug }} on Google Cloud: artifacts bucket (DVC remote +
# MLflow artifacts), Artifact Registry repository, CI identity (Workload Identity Federation)
# and a GKE cluster. One root for every environment; staging and prod differ only in their
# values (envs/<env>.tfvars) and their state (envs/<env>.backend.hcl).

provider "google" {
  project        = var.project_id
  region         = var.region
  default_labels = local.labels
}

locals {
  name      = "${var.project}-${var.environment}"
  namespace = "${var.project}-${var.environment}"
  # Service-account and pool IDs are limited to 30 characters.
  short_name = "${trimsuffix(substr(var.project, 0, 16), "-")}-${substr(var.environment, 0, 4)}"
  labels = {
    project     = var.project
    environment = var.environment
    managed-by  = "terraform"
  }
  # Workload Identity Federation per CI system; both map the repository and the job's environment
  # (GitHub and GitLab tokens both carry an environment claim): the deploy service account trusts
  # this environment's jobs only, the training one the environment "training" only.
  ci_oidc = {
    github = {
      issuer_url        = "https://token.actions.githubusercontent.com"
      allowed_audiences = []
      attribute_mapping = {
        "google.subject"        = "assertion.sub"
        "attribute.repository"  = "assertion.repository"
        "attribute.ref"         = "assertion.ref"
        "attribute.environment" = "assertion.environment"
      }
    }
    gitlab = {
      issuer_url        = "https://gitlab.com"
      allowed_audiences = ["https://gitlab.com"]
      attribute_mapping = {
        "google.subject"        = "assertion.sub"
        "attribute.repository"  = "assertion.project_path"
        "attribute.ref"         = "assertion.ref"
        "attribute.environment" = "assertion.environment"
      }
    }
  }
}

module "storage" {
  source                  = "./modules/storage"
  project_id              = var.project_id
  bucket_name             = "${local.name}-${var.project_id}"
  location                = var.region
  noncurrent_version_days = var.noncurrent_version_days
  labels                  = local.labels
}

module "registry" {
  source     = "./modules/registry"
  project_id = var.project_id
  location   = var.region
  name       = local.name
  kms_key_id = module.storage.kms_key_id
  labels     = local.labels
}

module "cluster" {
  source                 = "./modules/cluster"
  project_id             = var.project_id
  name                   = local.short_name
  region                 = var.region
  network                = var.network
  subnetwork             = var.subnetwork
  pods_range_name        = var.pods_range_name
  services_range_name    = var.services_range_name
  master_ipv4_cidr_block = var.master_ipv4_cidr_block
  authorized_networks    = var.cluster_authorized_networks
  machine_type           = var.machine_type
  node_count_min         = var.node_count_min
  node_count_max         = var.node_count_max
  labels                 = local.labels
}

module "ci_identity" {
  source            = "./modules/ci_identity"
  count             = var.ci_system == "none" ? 0 : 1
  project_id        = var.project_id
  name              = "${local.short_name}-ci"
  repository        = var.repository
  provider_id       = var.ci_system
  issuer_url        = local.ci_oidc[var.ci_system].issuer_url
  allowed_audiences = local.ci_oidc[var.ci_system].allowed_audiences
  attribute_mapping = local.ci_oidc[var.ci_system].attribute_mapping
  environment       = var.environment
  registry_location = var.region
  registry_name     = module.registry.repository_name
  bucket_name       = module.storage.bucket_name
}
