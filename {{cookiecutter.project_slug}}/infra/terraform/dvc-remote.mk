# The cloud's verbs, included by the Makefile at the repository root (make runs there: paths are from the root).
.PHONY: dvc-remote

ENV ?= staging
dvc-remote: ## make the cloud bucket (Terraform output dvc_remote_url of ENV, or DVC_REMOTE_URL) DVC's default remote
	@[ -n "$${DVC_REMOTE_URL:-}" ] || terraform -chdir=infra/terraform/{{ cookiecutter.cloud }} init -input=false -reconfigure -backend-config=envs/$(ENV).backend.hcl >/dev/null
	$(RUN) dvc remote add --force --default storage "$${DVC_REMOTE_URL:-$$(terraform -chdir=infra/terraform/{{ cookiecutter.cloud }} output -raw dvc_remote_url)}"
	$(RUN) dvc remote modify storage verify true
	$(RUN) dvc remote list
