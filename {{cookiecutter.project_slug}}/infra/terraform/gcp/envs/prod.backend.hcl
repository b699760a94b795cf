# Partial backend configuration: terraform init -backend-config=envs/prod.backend.hcl -reconfigure
# The state bucket is created once, by hand or by a bootstrap stack, before the first init.
bucket = "{{ cookiecutter.project_slug }}-terraform-state"
prefix = "prod"
