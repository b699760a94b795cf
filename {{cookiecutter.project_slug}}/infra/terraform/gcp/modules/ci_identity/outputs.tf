output "service_account_email" {
  description = "Service account CI impersonates (google-github-actions/auth service_account)."
  value       = google_service_account.ci.email
}

output "training_service_account_email" {
  description = "Service account of CI's training jobs: the artifacts bucket only."
  value       = google_service_account.training.email
}

output "workload_identity_provider" {
  description = "Full name of the pool provider (google-github-actions/auth workload_identity_provider)."
  value       = google_iam_workload_identity_pool_provider.ci.name
}
