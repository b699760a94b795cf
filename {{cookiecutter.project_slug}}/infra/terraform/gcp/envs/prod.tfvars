# Values of the prod environment (terraform plan -var-file=envs/prod.tfvars).
# Replace the project and network with yours.
environment = "prod"
project_id  = "{{ cookiecutter.project_slug }}-prod"
region      = "europe-west1"
network     = "default"
subnetwork  = "default"

node_count_min = 1
node_count_max = 4
