# The identities CI impersonates through Workload Identity Federation: no service-account keys.
# Only tokens of one repository, from a job of this environment or of "training", are accepted
# (attribute_condition).
# - deploy (var.name): push the images and fetch cluster credentials; what it may change inside the
#   cluster is granted by a RoleBinding in the environment's namespace. No access to the artifacts.
#   Impersonated only by jobs of this environment.
# - training (var.name-tr): read and write the artifacts bucket; no registry, no cluster.
#   Impersonated only by jobs of the environment "training".

resource "google_iam_workload_identity_pool" "ci" {
  project                   = var.project_id
  workload_identity_pool_id = var.name
  display_name              = "CI of ${var.name}"
}

resource "google_iam_workload_identity_pool_provider" "ci" {
  project                            = var.project_id
  workload_identity_pool_id          = google_iam_workload_identity_pool.ci.workload_identity_pool_id
  workload_identity_pool_provider_id = var.provider_id
  attribute_mapping                  = var.attribute_mapping
  attribute_condition                = "attribute.repository == \"${var.repository}\" && attribute.environment in [\"${var.environment}\", \"training\"]"
  oidc {
    issuer_uri        = var.issuer_url
    allowed_audiences = var.allowed_audiences
  }
}

resource "google_service_account" "ci" {
  project      = var.project_id
  account_id   = var.name
  display_name = "CI of ${var.repository}"
}

resource "google_service_account_iam_member" "federation" {
  service_account_id = google_service_account.ci.name
  role               = "roles/iam.workloadIdentityUser"
  member             = "principalSet://iam.googleapis.com/${google_iam_workload_identity_pool.ci.name}/attribute.environment/${var.environment}"
}

resource "google_service_account" "training" {
  project      = var.project_id
  account_id   = "${substr(var.name, 0, 27)}-tr"
  display_name = "Training CI of ${var.repository}"
}

resource "google_service_account_iam_member" "training_federation" {
  service_account_id = google_service_account.training.name
  role               = "roles/iam.workloadIdentityUser"
  member             = "principalSet://iam.googleapis.com/${google_iam_workload_identity_pool.ci.name}/attribute.environment/training"
}

resource "google_artifact_registry_repository_iam_member" "push" {
  project    = var.project_id
  location   = var.registry_location
  repository = var.registry_name
  role       = "roles/artifactregistry.writer"
  member     = "serviceAccount:${google_service_account.ci.email}"
}

resource "google_storage_bucket_iam_member" "artifacts" {
  bucket = var.bucket_name
  role   = "roles/storage.objectUser"
  member = "serviceAccount:${google_service_account.training.email}"
}

resource "google_project_iam_member" "cluster_viewer" {
  project = var.project_id
  role    = "roles/container.clusterViewer"
  member  = "serviceAccount:${google_service_account.ci.email}"
}
