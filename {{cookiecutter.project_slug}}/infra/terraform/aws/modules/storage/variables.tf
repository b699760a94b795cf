variable "bucket_name" {
  description = "Globally unique name of the artifacts bucket (3-63 lowercase letters, digits, dots or dashes)."
  type        = string
  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,56}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be 3-58 lowercase letters, digits, dots or dashes (\"-logs\" is appended for the log bucket)."
  }
}

variable "noncurrent_version_days" {
  description = "Days an overwritten or deleted object version is kept before it expires."
  type        = number
  default     = 90
  validation {
    condition     = var.noncurrent_version_days >= 1 && var.noncurrent_version_days <= 3650
    error_message = "noncurrent_version_days must be between 1 and 3650."
  }
}

variable "tags" {
  description = "Tags put on every resource."
  type        = map(string)
  default     = {}
}
