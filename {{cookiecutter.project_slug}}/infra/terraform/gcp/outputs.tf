# What the pipeline and CI need; infra/README.md says where each one goes.

output "dvc_remote_url" {
  description = "DVC remote: dvc remote add -d storage <this>."
  value       = "gs://${module.storage.bucket_name}/dvc"
}

output "mlflow_artifact_root" {
  description = "Artifact root of an MLflow server (mlflow server --artifacts-destination <this>)."
  value       = "gs://${module.storage.bucket_name}/mlflow"
}

output "image_registry_url" {
  description = "Prefix of the images CI pushes (IMAGE_REGISTRY): <this>/service and <this>/pipelines."
  value       = module.registry.repository_url
}

output "ci_service_account" {
  description = "Service account CI impersonates (GCP_SERVICE_ACCOUNT); null when ci_system is none."
  value       = one(module.ci_identity[*].service_account_email)
}

output "ci_training_service_account" {
  description = "Service account of CI's training jobs (artifacts only, no images, no cluster); null when ci_system is none."
  value       = one(module.ci_identity[*].training_service_account_email)
}

output "ci_workload_identity_provider" {
  description = "Workload identity provider CI authenticates with (GCP_WORKLOAD_IDENTITY_PROVIDER); null when ci_system is none."
  value       = one(module.ci_identity[*].workload_identity_provider)
}

output "cluster_name" {
  description = "GKE cluster (gcloud container clusters get-credentials <this> --region <region>)."
  value       = module.cluster.name
}

output "region" {
  description = "Region of every resource (GCP_REGION)."
  value       = var.region
}

output "k8s_namespace" {
  description = "Namespace the overlay of this environment deploys into."
  value       = local.namespace
}
