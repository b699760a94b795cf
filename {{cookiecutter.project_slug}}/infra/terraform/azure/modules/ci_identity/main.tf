# The identities CI signs in as through workload identity federation: no client secrets.
# Federated credentials trust exactly the listed subjects of one repository.
# - deploy (var.name): push the images, fetch cluster credentials and change workloads in this
#   environment's namespace only (Azure RBAC for Kubernetes). No access to the artifacts.
# - training (var.name-training): read and write the artifacts container; no registry, no cluster.

resource "azurerm_user_assigned_identity" "ci" {
  name                = var.name
  resource_group_name = var.resource_group_name
  location            = var.location
  tags                = var.tags
}

resource "azurerm_federated_identity_credential" "ci" {
  for_each            = toset(var.subjects)
  name                = substr(replace(each.value, "/[^A-Za-z0-9-]/", "-"), 0, 120)
  resource_group_name = var.resource_group_name
  parent_id           = azurerm_user_assigned_identity.ci.id
  issuer              = var.issuer_url
  subject             = each.value
  audience            = ["api://AzureADTokenExchange"]
}

resource "azurerm_role_assignment" "push" {
  scope                = var.registry_id
  role_definition_name = "AcrPush"
  principal_id         = azurerm_user_assigned_identity.ci.principal_id
  principal_type       = "ServicePrincipal"
}

resource "azurerm_user_assigned_identity" "training" {
  name                = "${var.name}-training"
  resource_group_name = var.resource_group_name
  location            = var.location
  tags                = var.tags
}

resource "azurerm_federated_identity_credential" "training" {
  for_each            = toset(var.training_subjects)
  name                = substr(replace(each.value, "/[^A-Za-z0-9-]/", "-"), 0, 120)
  resource_group_name = var.resource_group_name
  parent_id           = azurerm_user_assigned_identity.training.id
  issuer              = var.issuer_url
  subject             = each.value
  audience            = ["api://AzureADTokenExchange"]
}

resource "azurerm_role_assignment" "artifacts" {
  scope                = var.container_id
  role_definition_name = "Storage Blob Data Contributor"
  principal_id         = azurerm_user_assigned_identity.training.principal_id
  principal_type       = "ServicePrincipal"
}

resource "azurerm_role_assignment" "cluster_user" {
  scope                = var.cluster_id
  role_definition_name = "Azure Kubernetes Service Cluster User Role"
  principal_id         = azurerm_user_assigned_identity.ci.principal_id
  principal_type       = "ServicePrincipal"
}

resource "azurerm_role_assignment" "namespace_writer" {
  scope                = "${var.cluster_id}/namespaces/${var.namespace}"
  role_definition_name = "Azure Kubernetes Service RBAC Writer"
  principal_id         = azurerm_user_assigned_identity.ci.principal_id
  principal_type       = "ServicePrincipal"
}
