variable "name" {
  description = "Cluster name."
  type        = string
}

variable "kubernetes_version" {
  description = "Kubernetes minor version of the control plane, e.g. 1.33."
  type        = string
  validation {
    condition     = can(regex("^1\\.[0-9]{2}$", var.kubernetes_version))
    error_message = "kubernetes_version must be a minor version such as 1.33."
  }
}

variable "subnet_ids" {
  description = "Private subnets (at least two availability zones) of an existing VPC."
  type        = list(string)
  validation {
    condition     = length(var.subnet_ids) >= 2 && alltrue([for id in var.subnet_ids : can(regex("^subnet-[0-9a-f]{8,17}$", id))])
    error_message = "subnet_ids must list at least two subnet IDs (subnet-...)."
  }
}

variable "public_access_cidrs" {
  description = "CIDRs that may reach the API endpoint from the internet; empty keeps the endpoint private."
  type        = list(string)
  default     = []
  validation {
    condition     = alltrue([for c in var.public_access_cidrs : can(cidrhost(c, 0)) && c != "0.0.0.0/0"])
    error_message = "public_access_cidrs must be CIDR blocks and may not be 0.0.0.0/0."
  }
}

variable "node_instance_type" {
  description = "EC2 instance type of the default node group."
  type        = string
  default     = "t3.large"
}

variable "node_count_min" {
  description = "Smallest size of the default node group."
  type        = number
  default     = 2
}

variable "node_count_max" {
  description = "Largest size of the default node group (the cluster autoscaler's ceiling)."
  type        = number
  default     = 4
}

variable "tags" {
  description = "Tags put on every resource."
  type        = map(string)
  default     = {}
}
