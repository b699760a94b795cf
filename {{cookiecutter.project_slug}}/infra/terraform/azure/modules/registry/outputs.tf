output "login_server" {
  description = "Login server of the registry (<name>.azurecr.io)."
  value       = azurerm_container_registry.service.login_server
}

output "id" {
  description = "Registry resource ID, for role assignments."
  value       = azurerm_container_registry.service.id
}
