# Partial backend configuration: terraform init -backend-config=envs/prod.backend.hcl -reconfigure
# The state account and container are created once, by hand or by a bootstrap stack.
resource_group_name  = "rg-terraform-state"
storage_account_name = "tfstate{{ cookiecutter.package_name | replace('_', '') | truncate(17, True, '') }}"
container_name       = "tfstate"
key                  = "{{ cookiecutter.project_slug }}/prod.tfstate"
use_azuread_auth     = true
