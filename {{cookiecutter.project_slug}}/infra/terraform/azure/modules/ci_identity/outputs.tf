output "client_id" {
  description = "Client ID CI signs in with (azure/login client-id)."
  value       = azurerm_user_assigned_identity.ci.client_id
}

output "training_client_id" {
  description = "Client ID of the training identity: the artifacts container only."
  value       = azurerm_user_assigned_identity.training.client_id
}

output "tenant_id" {
  description = "Tenant of the identity (azure/login tenant-id)."
  value       = azurerm_user_assigned_identity.ci.tenant_id
}
