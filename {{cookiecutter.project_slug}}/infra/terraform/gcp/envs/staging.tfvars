# Values of the staging environment (terraform plan -var-file=envs/staging.tfvars).
# Replace the project and network with yours.
environment = "staging"
project_id  = "{{ cookiecutter.project_slug }}-staging"
region      = "europe-west1"
network     = "default"
subnetwork  = "default"

node_count_min = 1
node_count_max = 2
