# Values of the prod environment (terraform plan -var-file=envs/prod.tfvars).
# Replace the subnet IDs with private subnets of your VPC.
environment = "prod"
region      = "eu-west-1"
subnet_ids  = ["subnet-0123456789abcdef1", "subnet-0fedcba9876543211"]

node_count_min = 2
node_count_max = 6
