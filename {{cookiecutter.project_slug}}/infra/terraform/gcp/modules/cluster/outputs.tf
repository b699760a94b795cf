output "name" {
  description = "Cluster name (gcloud container clusters get-credentials <this>)."
  value       = google_container_cluster.this.name
}

output "location" {
  description = "Cluster location."
  value       = google_container_cluster.this.location
}
