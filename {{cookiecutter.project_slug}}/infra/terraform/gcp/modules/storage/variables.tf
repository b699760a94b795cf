variable "project_id" {
  description = "Google Cloud project that owns the buckets."
  type        = string
}

variable "bucket_name" {
  description = "Globally unique name of the artifacts bucket."
  type        = string
  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9_-]{1,56}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be 3-58 lowercase letters, digits, dashes or underscores (\"-logs\" is appended for the log bucket)."
  }
}

variable "location" {
  description = "Bucket and key location (a region such as europe-west1)."
  type        = string
}

variable "noncurrent_version_days" {
  description = "Days an overwritten or deleted object version is kept before it is deleted."
  type        = number
  default     = 90
  validation {
    condition     = var.noncurrent_version_days >= 1 && var.noncurrent_version_days <= 3650
    error_message = "noncurrent_version_days must be between 1 and 3650."
  }
}

variable "labels" {
  description = "Labels put on every resource that takes them."
  type        = map(string)
  default     = {}
}
