variable "name" {
  description = "Globally unique registry name (5-50 letters and digits)."
  type        = string
  validation {
    condition     = can(regex("^[a-zA-Z0-9]{5,50}$", var.name))
    error_message = "name must be 5-50 letters and digits."
  }
}

variable "resource_group_name" {
  description = "Resource group of the registry."
  type        = string
}

variable "location" {
  description = "Azure region."
  type        = string
}

variable "allowed_ip_ranges" {
  description = "CIDRs allowed to reach the registry, e.g. your CI runners."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Tags put on the registry."
  type        = map(string)
  default     = {}
}
