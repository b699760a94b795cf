variable "project" {
  description = "Project name used in every resource name."
  type        = string
  default     = "{{ cookiecutter.project_slug }}"
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.project))
    error_message = "project must be 3-32 lowercase letters, digits or dashes, starting with a letter."
  }
}

variable "environment" {
  description = "Deployment environment; one state (envs/<env>.backend.hcl) per environment."
  type        = string
  validation {
    condition     = contains(["staging", "prod"], var.environment)
    error_message = "environment must be \"staging\" or \"prod\"."
  }
}

variable "project_id" {
  description = "Google Cloud project ID that hosts this environment."
  type        = string
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a Google Cloud project ID: 6-30 lowercase letters, digits or dashes, starting with a letter."
  }
}

variable "region" {
  description = "Google Cloud region, e.g. europe-west1."
  type        = string
  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]{1,2}$", var.region))
    error_message = "region must be a Google Cloud region such as europe-west1 or us-central1."
  }
}

variable "repository" {
  description = "The repository whose CI deploys this environment, as owner/name."
  type        = string
  default     = "{{ cookiecutter.github_org }}/{{ cookiecutter.project_slug }}"
  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9_.-]*(/[A-Za-z0-9][A-Za-z0-9_.-]*)+$", var.repository))
    error_message = "repository must look like owner/name (GitLab subgroups: group/subgroup/name)."
  }
}

variable "ci_system" {
  description = "CI system that federates into the cloud: github, gitlab, or none (no CI identity)."
  type        = string
  default     = "{{ cookiecutter.ci }}"
  validation {
    condition     = contains(["github", "gitlab", "none"], var.ci_system)
    error_message = "ci_system must be github, gitlab or none."
  }
}

variable "network" {
  description = "Existing VPC network for the cluster."
  type        = string
  validation {
    condition     = length(var.network) > 0
    error_message = "network must name an existing VPC network."
  }
}

variable "subnetwork" {
  description = "Existing subnetwork with secondary ranges for pods and services."
  type        = string
  validation {
    condition     = length(var.subnetwork) > 0
    error_message = "subnetwork must name an existing subnetwork."
  }
}

variable "pods_range_name" {
  description = "Secondary range of the subnetwork for pods."
  type        = string
  default     = "pods"
}

variable "services_range_name" {
  description = "Secondary range of the subnetwork for services."
  type        = string
  default     = "services"
}

variable "master_ipv4_cidr_block" {
  description = "The /28 range of the control plane's private endpoint."
  type        = string
  default     = "172.16.0.0/28"
  validation {
    condition     = can(cidrhost(var.master_ipv4_cidr_block, 0)) && endswith(var.master_ipv4_cidr_block, "/28")
    error_message = "master_ipv4_cidr_block must be a /28 CIDR block such as 172.16.0.0/28."
  }
}

variable "cluster_authorized_networks" {
  description = "CIDRs allowed to reach the control plane from outside the VPC (e.g. your CI runners); empty keeps it private."
  type        = list(string)
  default     = []
  validation {
    condition     = alltrue([for c in var.cluster_authorized_networks : can(cidrhost(c, 0)) && c != "0.0.0.0/0"])
    error_message = "cluster_authorized_networks must be CIDR blocks and may not be 0.0.0.0/0."
  }
}

variable "machine_type" {
  description = "Machine type of the default node pool."
  type        = string
  default     = "e2-standard-4"
  validation {
    condition     = can(regex("^[a-z][a-z0-9]*-[a-z0-9-]+$", var.machine_type))
    error_message = "machine_type must be a Compute Engine machine type such as e2-standard-4."
  }
}

variable "node_count_min" {
  description = "Smallest number of nodes per zone."
  type        = number
  default     = 1
  validation {
    condition     = var.node_count_min >= 0 && var.node_count_min <= 50
    error_message = "node_count_min must be between 0 and 50."
  }
}

variable "node_count_max" {
  description = "Largest number of nodes per zone."
  type        = number
  default     = 3
  validation {
    condition     = var.node_count_max >= var.node_count_min && var.node_count_max >= 1 && var.node_count_max <= 100
    error_message = "node_count_max must be between 1 and 100 and at least node_count_min."
  }
}

variable "noncurrent_version_days" {
  description = "Days an overwritten artifact version is kept before it is deleted."
  type        = number
  default     = 90
  validation {
    condition     = var.noncurrent_version_days >= 1 && var.noncurrent_version_days <= 3650
    error_message = "noncurrent_version_days must be between 1 and 3650."
  }
}
