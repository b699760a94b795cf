output "repository_url" {
  description = "Prefix of every image: <location>-docker.pkg.dev/<project>/<repository>; images are <this>/service and <this>/pipelines."
  value       = "${var.location}-docker.pkg.dev/${var.project_id}/${google_artifact_registry_repository.service.repository_id}"
}

output "repository_name" {
  description = "Repository ID, for IAM bindings."
  value       = google_artifact_registry_repository.service.name
}
