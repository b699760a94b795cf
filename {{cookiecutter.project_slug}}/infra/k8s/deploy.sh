#!/bin/sh
# Deploys one environment: the overlay with both images pinned to one tag, applied with
# server-side apply, then waits for the service rollout. CI calls it; so can a person.
#   infra/k8s/deploy.sh staging  <registry> <tag>                 # apply to the current kube context
#   infra/k8s/deploy.sh prod     <registry> <tag> --render-only   # print the manifests, touch nothing
# <registry> is the Terraform output image_registry_url; <tag> is usually the commit SHA.
set -eu

usage() {
  echo "usage: $0 staging|prod REGISTRY TAG [--render-only]" >&2
  exit 2
}

[ "$#" -ge 3 ] || usage
environment=$1
registry=$2
tag=$3
mode=${4:-apply}
case "$environment" in staging | prod) ;; *) echo "unknown environment '$environment'" >&2; usage ;; esac
case "$mode" in apply | --render-only) ;; *) usage ;; esac
if ! printf '%s' "$tag" | grep -Eq '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$'; then
  echo "'$tag' is not a valid image tag" >&2
  exit 2
fi
# A registry prefix such as the Terraform output image_registry_url: host[/path], no scheme, no tag.
if ! printf '%s' "$registry" | grep -Eq '^[a-z0-9][a-z0-9.-]*(:[0-9]+)?(/[a-z0-9][a-z0-9._/-]*[a-z0-9])?$'; then
  echo "'$registry' is not an image registry prefix (host[/path], e.g. the Terraform output image_registry_url)" >&2
  exit 2
fi

here=$(cd "$(dirname "$0")" && pwd)
namespace={{ cookiecutter.project_slug }}-$environment
# kustomize resolves bases relative to the kustomization, so the release overlay lives here.
release=$(mktemp -d "$here/.release.XXXXXX")
trap 'rm -rf "$release"' EXIT
cat > "$release/kustomization.yaml" <<YAML
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../overlays/$environment
images:
  - name: {{ cookiecutter.project_slug }}/service
    newName: $registry/service
    newTag: "$tag"
  - name: {{ cookiecutter.project_slug }}/pipelines
    newName: $registry/pipelines
    newTag: "$tag"
YAML
kubectl kustomize "$release" > "$release/manifests.yaml"

if [ "$mode" = "--render-only" ]; then
  cat "$release/manifests.yaml"
  exit 0
fi

if ! kubectl get namespace "$namespace" > /dev/null 2>&1; then
  echo "Namespace $namespace does not exist or is not visible; a cluster admin creates it once (infra/README.md)." >&2
  exit 1
fi
# A Job's pod template is immutable: remove the previous training run so this one starts.
kubectl --namespace "$namespace" delete job pipeline --ignore-not-found --wait=true
kubectl apply --server-side --field-manager=deploy --force-conflicts -f "$release/manifests.yaml"
kubectl --namespace "$namespace" rollout status deployment/service --timeout=10m
