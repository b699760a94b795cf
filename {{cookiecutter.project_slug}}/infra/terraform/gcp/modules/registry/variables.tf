variable "project_id" {
  description = "Google Cloud project that owns the repository."
  type        = string
}

variable "location" {
  description = "Repository location (a region such as europe-west1)."
  type        = string
}

variable "name" {
  description = "Repository ID."
  type        = string
  validation {
    condition     = can(regex("^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$", var.name))
    error_message = "name must be lowercase letters, digits and dashes, starting with a letter."
  }
}

variable "kms_key_id" {
  description = "Customer-managed key (same location) that encrypts the images."
  type        = string
}

variable "images_to_keep" {
  description = "How many recent images the cleanup policy always keeps."
  type        = number
  default     = 50
  validation {
    condition     = var.images_to_keep >= 5 && var.images_to_keep <= 1000
    error_message = "images_to_keep must be between 5 and 1000."
  }
}

variable "labels" {
  description = "Labels put on the repository."
  type        = map(string)
  default     = {}
}
