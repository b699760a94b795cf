variable "project_id" {
  description = "Google Cloud project."
  type        = string
}

variable "name" {
  description = "ID of the workload identity pool and of the service account (6-30 characters)."
  type        = string
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.name))
    error_message = "name must be 6-30 lowercase letters, digits or dashes, starting with a letter."
  }
}

variable "environment" {
  description = "The environment (job environment claim) whose CI jobs may impersonate the deploy service account."
  type        = string
  validation {
    condition     = contains(["staging", "prod"], var.environment)
    error_message = "environment must be \"staging\" or \"prod\"."
  }
}

variable "repository" {
  description = "The repository whose CI may impersonate the service account, as owner/name."
  type        = string
}

variable "provider_id" {
  description = "ID of the pool provider (github or gitlab)."
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

variable "allowed_audiences" {
  description = "Audiences accepted besides the provider's own resource name; empty accepts only that default."
  type        = list(string)
  default     = []
}

variable "attribute_mapping" {
  description = "Token claims mapped to Google attributes; must map attribute.repository."
  type        = map(string)
  validation {
    condition     = alltrue([for k in ["google.subject", "attribute.repository", "attribute.environment"] : contains(keys(var.attribute_mapping), k)])
    error_message = "attribute_mapping must map google.subject, attribute.repository and attribute.environment."
  }
}

variable "registry_location" {
  description = "Location of the Artifact Registry repository."
  type        = string
}

variable "registry_name" {
  description = "Artifact Registry repository CI pushes to."
  type        = string
}

variable "bucket_name" {
  description = "Artifacts bucket CI reads and writes."
  type        = string
}
