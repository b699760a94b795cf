# What the pipeline and CI need; infra/README.md says where each one goes.

output "dvc_remote_url" {
  description = "DVC remote: dvc remote add -d storage <this>."
  value       = "s3://${module.storage.bucket_name}/dvc"
}

output "mlflow_artifact_root" {
  description = "Artifact root of an MLflow server (mlflow server --artifacts-destination <this>)."
  value       = "s3://${module.storage.bucket_name}/mlflow"
}

output "image_registry_url" {
  description = "Prefix of the images CI pushes (IMAGE_REGISTRY): <this>/service and <this>/pipelines."
  value       = module.registry.registry_url
}

output "ci_role" {
  description = "Deploy role CI assumes through OIDC in this environment (AWS_ROLE_ARN); null when ci_system is none."
  value       = one(module.ci_identity[*].role_arn)
}

output "ci_training_role" {
  description = "Training role (artifacts bucket only, no images, no cluster) for CI's training jobs; null when ci_system is none."
  value       = one(module.ci_identity[*].training_role_arn)
}

output "cluster_name" {
  description = "EKS cluster (aws eks update-kubeconfig --name <this>)."
  value       = module.cluster.name
}

output "region" {
  description = "Region of every resource (AWS_REGION)."
  value       = var.region
}

output "k8s_namespace" {
  description = "Namespace the overlay of this environment deploys into."
  value       = local.namespace
}
