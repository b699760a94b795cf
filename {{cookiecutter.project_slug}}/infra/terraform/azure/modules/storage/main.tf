# Object storage for the DVC remote and the model artifacts: one storage account, one private
# container with two prefixes. Blob versioning and soft delete on, old versions expire,
# Entra ID authentication only (no shared keys), TLS 1.2, infrastructure (double) encryption.

resource "azurerm_storage_account" "artifacts" {
  # checkov:skip=CKV_AZURE_59:CI runners and laptops reach the DVC remote over the internet; network_rules deny every other address and shared keys are disabled.
  # checkov:skip=CKV2_AZURE_33:A private endpoint needs a VNet per consumer; network_rules restrict access instead. Add one when all consumers run inside your network.
  # checkov:skip=CKV2_AZURE_1:Encrypted twice with Microsoft-managed keys (infrastructure encryption); add a Key Vault customer-managed key where compliance requires it.
  # checkov:skip=CKV_AZURE_33:The queue service is not used; only blobs are stored.
  # checkov:skip=CKV_AZURE_43:The name is computed by the root module; the account_name variable's validation enforces the naming rules.
  name                              = var.account_name
  resource_group_name               = var.resource_group_name
  location                          = var.location
  account_kind                      = "StorageV2"
  account_tier                      = "Standard"
  account_replication_type          = "GRS"
  min_tls_version                   = "TLS1_2"
  https_traffic_only_enabled        = true
  allow_nested_items_to_be_public   = false
  shared_access_key_enabled         = false
  local_user_enabled                = false
  infrastructure_encryption_enabled = true
  default_to_oauth_authentication   = true
  tags                              = var.tags

  network_rules {
    default_action = "Deny"
    bypass         = ["AzureServices", "Logging", "Metrics"]
    ip_rules       = var.allowed_ip_ranges
  }

  sas_policy {
    expiration_period = "01.00:00:00"
  }

  blob_properties {
    versioning_enabled = true
    delete_retention_policy {
      days = 30
    }
    container_delete_retention_policy {
      days = 30
    }
  }
}

resource "azurerm_storage_container" "artifacts" {
  # checkov:skip=CKV2_AZURE_21:Blob reads, writes and deletes go to Log Analytics through the diagnostic setting below; storage insights would need the shared key, which is disabled.
  name                  = "artifacts"
  storage_account_id    = azurerm_storage_account.artifacts.id
  container_access_type = "private"
}

resource "azurerm_storage_management_policy" "artifacts" {
  storage_account_id = azurerm_storage_account.artifacts.id
  rule {
    name    = "expire-old-versions"
    enabled = true
    filters {
      blob_types = ["blockBlob"]
    }
    actions {
      version {
        delete_after_days_since_creation = var.noncurrent_version_days
      }
    }
  }
}

resource "azurerm_monitor_diagnostic_setting" "blobs" {
  name                       = "blob-access"
  target_resource_id         = "${azurerm_storage_account.artifacts.id}/blobServices/default"
  log_analytics_workspace_id = var.log_analytics_workspace_id
  enabled_log {
    category = "StorageRead"
  }
  enabled_log {
    category = "StorageWrite"
  }
  enabled_log {
    category = "StorageDelete"
  }
  enabled_metric {
    category = "Transaction"
  }
}
