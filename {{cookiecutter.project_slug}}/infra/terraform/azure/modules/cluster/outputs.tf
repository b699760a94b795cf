output "name" {
  description = "Cluster name (az aks get-credentials --name <this>)."
  value       = azurerm_kubernetes_cluster.this.name
}

output "id" {
  description = "Cluster resource ID, for role assignments."
  value       = azurerm_kubernetes_cluster.this.id
}
