# One environment of {{ cookiecutter.project_slug }} on AWS: artifacts bucket (DVC remote + MLflow
# artifacts), image registry, CI identity and an EKS cluster. One root for every environment;
# staging and prod differ only in their values (envs/<env>.tfvars) and their state
# (envs/<env>.backend.hcl).

provider "aws" {
  region = var.region
  default_tags {
    tags = local.tags
  }
}

data "aws_caller_identity" "current" {}

locals {
  name      = "${var.project}-${var.environment}"
  namespace = "${var.project}-${var.environment}"
  tags = {
    project     = var.project
    environment = var.environment
    managed-by  = "terraform"
  }
  # OIDC federation per CI system: issuer, audience and the subjects allowed to assume each role.
  # GitHub: the deploy role trusts only jobs of this environment (its reviewers and branch rule
  # apply before the token is issued), the training role only jobs of the environment "training".
  # GitLab: the subject is project_path:<path>:ref_type:branch:ref:<branch>, and GitLab allows no
  # other claim in it, so it never names the environment; IAM conditions match only aud and sub. Both
  # roles trust the default branch exactly, every job on it: docs/ci-cd.md says so for prod.
  ci_oidc = {
    github = {
      issuer_url        = "https://token.actions.githubusercontent.com"
      audience          = "sts.amazonaws.com"
      subjects          = ["repo:${var.repository}:environment:${var.environment}"]
      training_subjects = ["repo:${var.repository}:environment:training"]
    }
    gitlab = {
      issuer_url        = "https://gitlab.com"
      audience          = "https://gitlab.com"
      subjects          = ["project_path:${var.repository}:ref_type:branch:ref:main"]
      training_subjects = ["project_path:${var.repository}:ref_type:branch:ref:main"]
    }
  }
}

module "storage" {
  source                  = "./modules/storage"
  bucket_name             = "${local.name}-${data.aws_caller_identity.current.account_id}"
  noncurrent_version_days = var.noncurrent_version_days
}

module "registry" {
  source      = "./modules/registry"
  prefix      = "${var.project}/${var.environment}"
  kms_key_arn = module.storage.kms_key_arn
}

module "cluster" {
  source              = "./modules/cluster"
  name                = local.name
  kubernetes_version  = var.kubernetes_version
  subnet_ids          = var.subnet_ids
  public_access_cidrs = var.cluster_public_access_cidrs
  node_instance_type  = var.node_instance_type
  node_count_min      = var.node_count_min
  node_count_max      = var.node_count_max
}

module "ci_identity" {
  source            = "./modules/ci_identity"
  count             = var.ci_system == "none" ? 0 : 1
  name              = "${local.name}-ci"
  repository        = var.repository
  issuer_url        = local.ci_oidc[var.ci_system].issuer_url
  audience          = local.ci_oidc[var.ci_system].audience
  subjects          = local.ci_oidc[var.ci_system].subjects
  training_subjects = local.ci_oidc[var.ci_system].training_subjects
  repository_arns   = module.registry.repository_arns
  bucket_arn        = module.storage.bucket_arn
  kms_key_arn       = module.storage.kms_key_arn
  cluster_arn       = module.cluster.arn
}

# What CI may do inside the cluster: edit workloads in this environment's namespace only.
resource "aws_eks_access_entry" "ci" {
  count         = var.ci_system == "none" ? 0 : 1
  cluster_name  = module.cluster.name
  principal_arn = module.ci_identity[0].role_arn
}

resource "aws_eks_access_policy_association" "ci" {
  count         = var.ci_system == "none" ? 0 : 1
  cluster_name  = module.cluster.name
  principal_arn = module.ci_identity[0].role_arn
  policy_arn    = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy"
  access_scope {
    type       = "namespace"
    namespaces = [local.namespace]
  }
  depends_on = [aws_eks_access_entry.ci]
}
