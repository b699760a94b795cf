variable "name" {
  description = "Cluster name (also its DNS prefix)."
  type        = string
}

variable "resource_group_name" {
  description = "Resource group of the cluster."
  type        = string
}

variable "location" {
  description = "Azure region."
  type        = string
}

variable "tenant_id" {
  description = "Entra ID tenant that authenticates cluster users."
  type        = string
}

variable "kubernetes_version" {
  description = "Kubernetes minor version, e.g. 1.33."
  type        = string
  validation {
    condition     = can(regex("^1\\.[0-9]{2}$", var.kubernetes_version))
    error_message = "kubernetes_version must be a minor version such as 1.33."
  }
}

variable "subnet_id" {
  description = "Existing subnet of the nodes."
  type        = string
}

variable "system_vm_size" {
  description = "VM size of the system pool (must support ephemeral OS disks and host encryption)."
  type        = string
  default     = "Standard_D4ds_v5"
}

variable "vm_size" {
  description = "VM size of the workload pool (must support ephemeral OS disks and host encryption)."
  type        = string
  default     = "Standard_D4ds_v5"
}

variable "node_count_min" {
  description = "Smallest number of workload nodes."
  type        = number
  default     = 1
}

variable "node_count_max" {
  description = "Largest number of workload nodes."
  type        = number
  default     = 3
}

variable "registry_id" {
  description = "Registry the nodes pull the service image from."
  type        = string
}

variable "log_analytics_workspace_id" {
  description = "Workspace that receives container insights."
  type        = string
}

variable "tags" {
  description = "Tags put on every resource."
  type        = map(string)
  default     = {}
}
