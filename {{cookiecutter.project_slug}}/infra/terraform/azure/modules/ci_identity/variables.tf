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
  description = "Exact subject claims trusted: one repository, its main branch and deploy environment."
  type        = list(string)
  validation {
    condition     = length(var.subjects) > 0 && alltrue([for s in var.subjects : !strcontains(s, "*")])
    error_message = "subjects must name at least one subject and Azure accepts no wildcards in them."
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
