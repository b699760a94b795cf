# Partial backend configuration: terraform init -backend-config=envs/staging.backend.hcl -reconfigure
# The state bucket is created once, by hand or by a bootstrap stack, before the first init.
bucket       = "{{ cookiecutter.project_slug }}-terraform-state"
key          = "staging/terraform.tfstate"
region       = "eu-west-1"
encrypt      = true
use_lockfile = true
