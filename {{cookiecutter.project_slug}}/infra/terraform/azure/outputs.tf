# What the pipeline and CI need; infra/README.md says where each one goes.

output "dvc_remote_url" {
  description = "DVC remote: dvc remote add -d storage <this>; dvc remote modify storage account_name <storage_account>."
  value       = "azure://${module.storage.container_name}/dvc"
}

output "storage_account" {
  description = "Storage account of the DVC remote and MLflow artifacts (AZURE_STORAGE_ACCOUNT)."
  value       = module.storage.account_name
}

output "mlflow_artifact_root" {
  description = "Artifact root of an MLflow server (mlflow server --artifacts-destination <this>)."
  value       = "wasbs://${module.storage.container_name}@${module.storage.account_name}.blob.core.windows.net/mlflow"
}

output "image_registry_url" {
  description = "Prefix of the images CI pushes (IMAGE_REGISTRY): <this>/service and <this>/pipelines."
  value       = "${module.registry.login_server}/${var.project}"
}

output "ci_client_id" {
  description = "Client ID of the identity CI signs in as (AZURE_CLIENT_ID); null when ci_system is none."
  value       = one(module.ci_identity[*].client_id)
}

output "ci_training_client_id" {
  description = "Client ID of the training identity (artifacts only, no images, no cluster); null when ci_system is none."
  value       = one(module.ci_identity[*].training_client_id)
}

output "tenant_id" {
  description = "Entra ID tenant (AZURE_TENANT_ID)."
  value       = data.azurerm_client_config.current.tenant_id
}

output "subscription_id" {
  description = "Subscription of every resource (AZURE_SUBSCRIPTION_ID)."
  value       = var.subscription_id
}

output "resource_group" {
  description = "Resource group of every resource (AZURE_RESOURCE_GROUP)."
  value       = azurerm_resource_group.this.name
}

output "cluster_name" {
  description = "AKS cluster (az aks get-credentials --resource-group <resource_group> --name <this>)."
  value       = module.cluster.name
}

output "k8s_namespace" {
  description = "Namespace the overlay of this environment deploys into."
  value       = local.namespace
}
