{#- .github/workflows/release.yml and .gitlab-ci.yml (train): pull the pipeline's DVC-tracked inputs; `error` prefixes the error line (GitHub's annotation) -#}
# The pipeline's inputs DVC tracks (a data file of `make dataset`): a clone has their .dvc files, not the
# data. Pull them from DVC's default remote, or stop naming the files and what to configure.
tracked=$(git ls-files -- '*.dvc')
if [ -z "${tracked}" ]; then
  echo "No DVC-tracked input: the pipeline's data is in git."
elif ! git ls-files -z -- '*.dvc' | xargs -0 uv run --no-sync dvc pull; then
  files=$(printf '%s\n' "${tracked}" | sed 's/\.dvc$//' | tr '\n' ' ')
  remote=$(uv run --no-sync dvc remote default 2>/dev/null || true)
  url=$(uv run --no-sync dvc remote list 2>/dev/null | awk -v name="${remote}" '$1 == name { print $2 }')
  case "${url}" in
    "") where="no DVC remote: .dvc/config names no default" ;;
    *://*) where="the DVC remote '${remote}' (${url})" ;;
    *) where="the DVC remote '${remote}', a folder on one machine (${url}) that CI cannot reach" ;;
  esac
  echo "{{ error }}${files% }: tracked by DVC, and CI could not pull it from ${where}. A clone holds only what git holds: push the data (dvc push) to object storage CI can read, make that DVC's default remote in .dvc/config (committed), and let the environment 'training' sign in to it (docs/ci-cd.md, 'The pipeline's data')."
  exit 1
fi
{#- -#}
