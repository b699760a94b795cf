output "bucket_name" {
  description = "Name of the artifacts bucket."
  value       = google_storage_bucket.artifacts.name
}

output "kms_key_id" {
  description = "Customer-managed key that encrypts the bucket."
  value       = google_kms_crypto_key.artifacts.id
}
