output "repository_url" {
  description = "Where CI pushes the service image (<location>-docker.pkg.dev/<project>/<repository>)."
  value       = "${var.location}-docker.pkg.dev/${var.project_id}/${google_artifact_registry_repository.service.repository_id}"
}

output "repository_name" {
  description = "Repository ID, for IAM bindings."
  value       = google_artifact_registry_repository.service.name
}
