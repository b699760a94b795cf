variable "project_id" {
  description = "Google Cloud project."
  type        = string
}

variable "name" {
  description = "Cluster name."
  type        = string
}

variable "region" {
  description = "Region of the (regional) cluster."
  type        = string
}

variable "network" {
  description = "Self link or name of an existing VPC network."
  type        = string
}

variable "subnetwork" {
  description = "Self link or name of an existing subnetwork with secondary ranges for pods and services."
  type        = string
}

variable "pods_range_name" {
  description = "Name of the subnetwork's secondary range for pods."
  type        = string
}

variable "services_range_name" {
  description = "Name of the subnetwork's secondary range for services."
  type        = string
}

variable "master_ipv4_cidr_block" {
  description = "The /28 range of the control plane's private endpoint."
  type        = string
  validation {
    condition     = can(cidrhost(var.master_ipv4_cidr_block, 0)) && endswith(var.master_ipv4_cidr_block, "/28")
    error_message = "master_ipv4_cidr_block must be a /28 CIDR block such as 172.16.0.0/28."
  }
}

variable "authorized_networks" {
  description = "CIDRs allowed to reach the control plane's public endpoint; empty makes the endpoint private."
  type        = list(string)
  default     = []
  validation {
    condition     = alltrue([for c in var.authorized_networks : can(cidrhost(c, 0)) && c != "0.0.0.0/0"])
    error_message = "authorized_networks must be CIDR blocks and may not be 0.0.0.0/0."
  }
}

variable "machine_type" {
  description = "Machine type of the default node pool."
  type        = string
  default     = "e2-standard-4"
}

variable "node_count_min" {
  description = "Smallest number of nodes per zone."
  type        = number
  default     = 1
}

variable "node_count_max" {
  description = "Largest number of nodes per zone."
  type        = number
  default     = 3
}

variable "labels" {
  description = "Labels put on the cluster and its nodes."
  type        = map(string)
  default     = {}
}
