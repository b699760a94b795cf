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

variable "subscription_id" {
  description = "Azure subscription that hosts this environment."
  type        = string
  validation {
    condition     = can(regex("^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$", var.subscription_id))
    error_message = "subscription_id must be a subscription GUID such as 00000000-0000-0000-0000-000000000000."
  }
}

variable "location" {
  description = "Azure region, e.g. westeurope."
  type        = string
  validation {
    condition     = can(regex("^[a-z]+[0-9]?$", var.location))
    error_message = "location must be an Azure region name in lowercase without spaces, such as westeurope or eastus2."
  }
}

variable "name_suffix" {
  description = "Up to 6 lowercase letters or digits appended to the storage account and registry names, which must be globally unique."
  type        = string
  default     = ""
  validation {
    condition     = can(regex("^[a-z0-9]{0,6}$", var.name_suffix))
    error_message = "name_suffix must be at most 6 lowercase letters or digits."
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

variable "kubernetes_version" {
  description = "Kubernetes minor version of the cluster."
  type        = string
  default     = "1.33"
  validation {
    condition     = can(regex("^1\\.[0-9]{2}$", var.kubernetes_version))
    error_message = "kubernetes_version must be a minor version such as 1.33."
  }
}

variable "subnet_id" {
  description = "Resource ID of an existing subnet for the cluster nodes."
  type        = string
  validation {
    condition     = can(regex("^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft.Network/virtualNetworks/[^/]+/subnets/[^/]+$", var.subnet_id))
    error_message = "subnet_id must be a subnet resource ID (/subscriptions/.../virtualNetworks/<vnet>/subnets/<subnet>)."
  }
}

variable "allowed_ip_ranges" {
  description = "Public IPs or CIDRs allowed to reach the storage account and the registry (CI runners, offices)."
  type        = list(string)
  default     = []
  validation {
    condition     = alltrue([for c in var.allowed_ip_ranges : can(cidrhost(strcontains(c, "/") ? c : "${c}/32", 0)) && c != "0.0.0.0/0"])
    error_message = "allowed_ip_ranges must be IP addresses or CIDR blocks and may not be 0.0.0.0/0."
  }
}

variable "vm_size" {
  description = "VM size of the workload node pool."
  type        = string
  default     = "Standard_D4ds_v5"
  validation {
    condition     = can(regex("^Standard_[A-Za-z0-9_]+$", var.vm_size))
    error_message = "vm_size must be an Azure VM size such as Standard_D4ds_v5."
  }
}

variable "node_count_min" {
  description = "Smallest number of workload nodes."
  type        = number
  default     = 1
  validation {
    condition     = var.node_count_min >= 1 && var.node_count_min <= 50
    error_message = "node_count_min must be between 1 and 50."
  }
}

variable "node_count_max" {
  description = "Largest number of workload nodes."
  type        = number
  default     = 3
  validation {
    condition     = var.node_count_max >= var.node_count_min && var.node_count_max <= 100
    error_message = "node_count_max must be at least node_count_min and at most 100."
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
