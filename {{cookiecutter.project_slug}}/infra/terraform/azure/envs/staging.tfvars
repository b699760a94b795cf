# Values of the staging environment (terraform plan -var-file=envs/staging.tfvars).
# Replace the subscription and subnet with yours.
environment     = "staging"
subscription_id = "00000000-0000-0000-0000-000000000000"
location        = "westeurope"
subnet_id       = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-network/providers/Microsoft.Network/virtualNetworks/vnet-staging/subnets/aks"

node_count_min = 1
node_count_max = 2
