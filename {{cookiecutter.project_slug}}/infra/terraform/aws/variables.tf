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

variable "region" {
  description = "AWS region, e.g. eu-west-1."
  type        = string
  validation {
    condition     = can(regex("^(af|ap|ca|eu|il|me|mx|sa|us)(-gov)?-(central|north|northeast|northwest|south|southeast|southwest|east|west)-[1-9]$", var.region))
    error_message = "region must be an AWS region name such as eu-west-1 or us-east-2."
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

variable "subnet_ids" {
  description = "Private subnets of an existing VPC, in at least two availability zones."
  type        = list(string)
  validation {
    condition     = length(var.subnet_ids) >= 2 && alltrue([for id in var.subnet_ids : can(regex("^subnet-[0-9a-f]{8,17}$", id))])
    error_message = "subnet_ids must list at least two subnet IDs (subnet-...)."
  }
}

variable "cluster_public_access_cidrs" {
  description = "CIDRs allowed to reach the cluster API from the internet (e.g. your CI runners); empty keeps it private."
  type        = list(string)
  default     = []
  validation {
    condition     = alltrue([for c in var.cluster_public_access_cidrs : can(cidrhost(c, 0)) && c != "0.0.0.0/0"])
    error_message = "cluster_public_access_cidrs must be CIDR blocks and may not be 0.0.0.0/0."
  }
}

variable "node_instance_type" {
  description = "EC2 instance type of the default node group."
  type        = string
  default     = "t3.large"
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*\\.[0-9]*[a-z]+$", var.node_instance_type))
    error_message = "node_instance_type must be an EC2 instance type such as t3.large."
  }
}

variable "node_count_min" {
  description = "Smallest number of nodes."
  type        = number
  default     = 2
  validation {
    condition     = var.node_count_min >= 1 && var.node_count_min <= 50
    error_message = "node_count_min must be between 1 and 50."
  }
}

variable "node_count_max" {
  description = "Largest number of nodes."
  type        = number
  default     = 4
  validation {
    condition     = var.node_count_max >= var.node_count_min && var.node_count_max <= 100
    error_message = "node_count_max must be at least node_count_min and at most 100."
  }
}

variable "noncurrent_version_days" {
  description = "Days an overwritten artifact version is kept before it expires."
  type        = number
  default     = 90
  validation {
    condition     = var.noncurrent_version_days >= 1 && var.noncurrent_version_days <= 3650
    error_message = "noncurrent_version_days must be between 1 and 3650."
  }
}
