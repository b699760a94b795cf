# Values of the prod environment (terraform plan -var-file=envs/prod.tfvars).
# Replace the subscription and subnet with yours.
environment     = "prod"
subscription_id = "00000000-0000-0000-0000-000000000000"
location        = "westeurope"
subnet_id       = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-network/providers/Microsoft.Network/virtualNetworks/vnet-prod/subnets/aks"

node_count_min = 2
node_count_max = 4
