# Values of the staging environment (terraform plan -var-file=envs/staging.tfvars).
# Replace the subnet IDs with private subnets of your VPC.
environment = "staging"
region      = "eu-west-1"
subnet_ids  = ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"]

node_count_min = 1
node_count_max = 3
