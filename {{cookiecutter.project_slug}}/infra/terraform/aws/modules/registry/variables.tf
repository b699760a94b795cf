variable "name" {
  description = "Repository name, e.g. churn-prediction/service."
  type        = string
  validation {
    condition     = can(regex("^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$", var.name))
    error_message = "name must be lowercase path components separated by '/', e.g. churn-prediction/service."
  }
}

variable "kms_key_arn" {
  description = "KMS key that encrypts the images."
  type        = string
}

variable "images_to_keep" {
  description = "How many images the lifecycle policy keeps."
  type        = number
  default     = 50
  validation {
    condition     = var.images_to_keep >= 5 && var.images_to_keep <= 1000
    error_message = "images_to_keep must be between 5 and 1000."
  }
}

variable "tags" {
  description = "Tags put on every resource."
  type        = map(string)
  default     = {}
}
