variable "account_name" {
  description = "Globally unique storage account name (3-24 lowercase letters and digits)."
  type        = string
  validation {
    condition     = can(regex("^[a-z0-9]{3,24}$", var.account_name))
    error_message = "account_name must be 3-24 lowercase letters and digits."
  }
}

variable "resource_group_name" {
  description = "Resource group of the account."
  type        = string
}

variable "location" {
  description = "Azure region."
  type        = string
}

variable "allowed_ip_ranges" {
  description = "Public IPs or CIDRs (no private ranges) allowed to reach the account, e.g. your CI runners."
  type        = list(string)
  default     = []
}

variable "noncurrent_version_days" {
  description = "Days an overwritten blob version is kept before it is deleted."
  type        = number
  default     = 90
  validation {
    condition     = var.noncurrent_version_days >= 1 && var.noncurrent_version_days <= 3650
    error_message = "noncurrent_version_days must be between 1 and 3650."
  }
}

variable "log_analytics_workspace_id" {
  description = "Workspace that receives the blob access logs."
  type        = string
}

variable "tags" {
  description = "Tags put on every resource."
  type        = map(string)
  default     = {}
}
