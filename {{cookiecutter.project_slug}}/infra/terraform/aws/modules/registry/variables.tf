variable "prefix" {
  description = "Common prefix of the repositories, e.g. my-project/staging."
  type        = string
  validation {
    condition     = can(regex("^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$", var.prefix))
    error_message = "prefix must be lowercase path components separated by '/', e.g. my-project/staging."
  }
}

variable "images" {
  description = "Image names; one repository each under the prefix."
  type        = list(string)
  default     = ["service", "pipelines"]
}

variable "kms_key_arn" {
  description = "KMS key that encrypts the images."
  type        = string
}

variable "images_to_keep" {
  description = "How many images the lifecycle policy keeps per repository."
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
