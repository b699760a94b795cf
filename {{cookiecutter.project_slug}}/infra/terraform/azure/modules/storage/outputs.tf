output "account_name" {
  description = "Storage account name (DVC: dvc remote modify storage account_name <this>)."
  value       = azurerm_storage_account.artifacts.name
}

output "account_id" {
  description = "Storage account resource ID."
  value       = azurerm_storage_account.artifacts.id
}

output "container_name" {
  description = "Container that holds the DVC cache and MLflow artifacts."
  value       = azurerm_storage_container.artifacts.name
}

output "container_id" {
  description = "Resource manager ID of the container, for role assignments."
  value       = azurerm_storage_container.artifacts.id
}
