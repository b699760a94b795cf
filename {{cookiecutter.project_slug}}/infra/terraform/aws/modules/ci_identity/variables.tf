variable "name" {
  description = "Name of the IAM role CI assumes."
  type        = string
}

variable "repository" {
  description = "The repository whose CI may assume the role, as owner/name."
  type        = string
}

variable "issuer_url" {
  description = "OIDC issuer of the CI system (https://token.actions.githubusercontent.com or https://gitlab.com)."
  type        = string
  validation {
    condition     = startswith(var.issuer_url, "https://")
    error_message = "issuer_url must be an https:// URL."
  }
}

variable "audience" {
  description = "Audience (aud claim) the CI tokens carry."
  type        = string
}

variable "subjects" {
  description = "Subject (sub claim) patterns allowed to assume the deploy role: this environment's jobs (GitHub: repo:<owner/name>:environment:<env>)."
  type        = list(string)
  validation {
    condition     = length(var.subjects) > 0 && alltrue([for s in var.subjects : !startswith(s, "*") && !strcontains(s, ":ref:refs/")])
    error_message = "subjects must name at least one subject, none may start with a wildcard, and none may trust a GitHub branch (ref:refs/...): trust the environment claim."
  }
}

variable "training_subjects" {
  description = "Subject (sub claim) patterns allowed to assume the training role (GitHub: repo:<owner/name>:environment:training)."
  type        = list(string)
  validation {
    condition     = length(var.training_subjects) > 0 && alltrue([for s in var.training_subjects : !startswith(s, "*") && !strcontains(s, ":ref:refs/")])
    error_message = "training_subjects must name at least one subject, none may start with a wildcard, and none may trust a GitHub branch (ref:refs/...)."
  }
}

variable "repository_arns" {
  description = "ECR repositories CI pushes to."
  type        = list(string)
}

variable "bucket_arn" {
  description = "Artifacts bucket CI reads and writes (DVC remote, MLflow artifacts)."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key of the bucket."
  type        = string
}

variable "cluster_arn" {
  description = "EKS cluster CI deploys to."
  type        = string
}

variable "tags" {
  description = "Tags put on every resource."
  type        = map(string)
  default     = {}
}
