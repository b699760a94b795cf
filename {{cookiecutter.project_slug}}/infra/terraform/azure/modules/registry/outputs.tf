output "login_server" {
  description = "Where CI pushes the service image (<name>.azurecr.io)."
  value       = azurerm_container_registry.service.login_server
}

output "id" {
  description = "Registry resource ID, for role assignments."
  value       = azurerm_container_registry.service.id
}
