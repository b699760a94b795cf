{#- .github/workflows/pipeline.yml and service.yml, .gitlab-ci.yml (pipeline): the committed sample stands in for DVC-tracked data a pull request's job cannot pull; `notice` prefixes the message line (GitHub's annotation) -#}
# A pull or merge request's job holds no secrets, so DVC-tracked data is not in its checkout: the sample committed
# beside it (core's sample_path()) stands in, and the pipeline still runs end to end on this change's code.
stand_in=$(uv run --no-sync python -c "
import os
from {{ cookiecutter.package_name }}_core import data_path, sample_path
if not data_path().is_file():
    data_path().write_bytes(sample_path().read_bytes())
    print(os.path.relpath(sample_path()))
")
if [ -n "${stand_in}" ]; then
  echo "{{ notice }}The data file is tracked by DVC and this job has no secrets to pull it: the pipeline runs on the committed sample ${stand_in}. Its figures describe the sample, not the data."
fi
{#- -#}
