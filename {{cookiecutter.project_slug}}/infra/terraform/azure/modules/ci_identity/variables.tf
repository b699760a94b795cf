variable "name" {
  description = "Name of the user-assigned identity CI signs in as."
  type        = string
}

variable "resource_group_name" {
  description = "Resource group of the identity."
  type        = string
}

variable "location" {
  description = "Azure region."
  type        = string
}

variable "issuer_url" {
  description = "OIDC issuer of the CI system."
  type        = string
  validation {
    condition     = startswith(var.issuer_url, "https://")
    error_message = "issuer_url must be an https:// URL."
  }
}

variable "subjects" {
  description = "Exact subject claims the deploy identity trusts: this environment's jobs (GitHub: repo:<owner/name>:environment:<env>)."
  type        = list(string)
  validation {
    condition     = length(var.subjects) > 0 && alltrue([for s in var.subjects : !strcontains(s, "*") && !strcontains(s, ":ref:refs/")])
    error_message = "subjects must name at least one subject, Azure accepts no wildcards in them, and none may trust a GitHub branch (ref:refs/...): trust the environment claim."
  }
}

variable "training_subjects" {
  description = "Exact subject claims the training identity trusts (GitHub: repo:<owner/name>:environment:training)."
  type        = list(string)
  validation {
    condition     = length(var.training_subjects) > 0 && alltrue([for s in var.training_subjects : !strcontains(s, "*") && !strcontains(s, ":ref:refs/")])
    error_message = "training_subjects must name at least one subject, Azure accepts no wildcards in them, and none may trust a GitHub branch (ref:refs/...)."
  }
}

variable "registry_id" {
  description = "Registry CI pushes to."
  type        = string
}

variable "container_id" {
  description = "Storage container CI reads and writes."
  type        = string
}

variable "cluster_id" {
  description = "AKS cluster CI deploys to."
  type        = string
}

variable "namespace" {
  description = "The one namespace CI may change."
  type        = string
}

variable "tags" {
  description = "Tags put on the identity."
  type        = map(string)
  default     = {}
}
