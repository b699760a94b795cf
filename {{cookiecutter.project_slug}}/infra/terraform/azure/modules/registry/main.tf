# Container registry for the service image: Premium for network rules, retention of untagged
# manifests, zone redundancy and content trust. No admin user: CI pushes with its federated identity.

resource "azurerm_container_registry" "service" {
  # checkov:skip=CKV_AZURE_139:CI runners push over the internet; network_rule_set denies every address not listed.
  # checkov:skip=CKV_AZURE_165:Geo-replication doubles cost; add a replica region for multi-region serving.
  # checkov:skip=CKV_AZURE_166:Quarantine holds every pushed image until an external scanner releases it; enable it with Defender for Containers.
  # checkov:skip=CKV_AZURE_163:Vulnerability scanning comes from Microsoft Defender for Containers, a subscription-wide setting outside this stack.
  name                          = var.name
  resource_group_name           = var.resource_group_name
  location                      = var.location
  sku                           = "Premium"
  admin_enabled                 = false
  anonymous_pull_enabled        = false
  data_endpoint_enabled         = true
  zone_redundancy_enabled       = true
  public_network_access_enabled = true
  retention_policy_in_days      = 7
  trust_policy_enabled          = true
  tags                          = var.tags

  network_rule_set {
    default_action = "Deny"
    dynamic "ip_rule" {
      for_each = var.allowed_ip_ranges
      content {
        action   = "Allow"
        ip_range = ip_rule.value
      }
    }
  }
}
