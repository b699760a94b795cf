# A small AKS cluster: private API server, Entra ID authentication with Azure RBAC (no local
# accounts), workload identity, network policy, Azure Policy, automatic upgrades, logs to Log
# Analytics. A system pool for cluster add-ons and an autoscaled pool for the workloads.

resource "azurerm_kubernetes_cluster" "this" {
  # checkov:skip=CKV_AZURE_117:A disk encryption set needs a Key Vault key; node disks use platform-managed encryption plus host encryption.
  # checkov:skip=CKV_AZURE_6:The API server is private (private_cluster_enabled); authorized IP ranges apply to public API servers only.
  name                              = var.name
  resource_group_name               = var.resource_group_name
  location                          = var.location
  dns_prefix                        = var.name
  kubernetes_version                = var.kubernetes_version
  sku_tier                          = "Standard"
  automatic_upgrade_channel         = "patch"
  node_os_upgrade_channel           = "NodeImage"
  private_cluster_enabled           = true
  local_account_disabled            = true
  role_based_access_control_enabled = true
  azure_policy_enabled              = true
  oidc_issuer_enabled               = true
  workload_identity_enabled         = true
  tags                              = var.tags

  azure_active_directory_role_based_access_control {
    azure_rbac_enabled = true
    tenant_id          = var.tenant_id
  }

  default_node_pool {
    name                         = "system"
    vm_size                      = var.system_vm_size
    vnet_subnet_id               = var.subnet_id
    auto_scaling_enabled         = true
    min_count                    = 1
    max_count                    = 3
    max_pods                     = 50
    os_disk_type                 = "Ephemeral"
    host_encryption_enabled      = true
    only_critical_addons_enabled = true
    upgrade_settings {
      max_surge = "33%"
    }
  }

  identity {
    type = "SystemAssigned"
  }

  network_profile {
    network_plugin = "azure"
    network_policy = "azure"
  }

  oms_agent {
    log_analytics_workspace_id = var.log_analytics_workspace_id
  }

  key_vault_secrets_provider {
    secret_rotation_enabled = true
  }
}

resource "azurerm_kubernetes_cluster_node_pool" "workloads" {
  name                    = "workloads"
  kubernetes_cluster_id   = azurerm_kubernetes_cluster.this.id
  vm_size                 = var.vm_size
  vnet_subnet_id          = var.subnet_id
  auto_scaling_enabled    = true
  min_count               = var.node_count_min
  max_count               = var.node_count_max
  max_pods                = 50
  os_disk_type            = "Ephemeral"
  host_encryption_enabled = true
  tags                    = var.tags
  upgrade_settings {
    max_surge = "33%"
  }
}

# The kubelet pulls the service image with the cluster's own identity.
resource "azurerm_role_assignment" "pull" {
  scope                = var.registry_id
  role_definition_name = "AcrPull"
  principal_id         = azurerm_kubernetes_cluster.this.kubelet_identity[0].object_id
  principal_type       = "ServicePrincipal"
}
