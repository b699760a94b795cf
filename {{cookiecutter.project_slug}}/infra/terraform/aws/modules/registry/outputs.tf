output "registry_url" {
  description = "Prefix of every image: <account>.dkr.ecr.<region>.amazonaws.com/<prefix>; images are <this>/service and <this>/pipelines."
  value       = "${data.aws_caller_identity.current.account_id}.dkr.ecr.${data.aws_region.current.region}.amazonaws.com/${var.prefix}"
}

output "repository_arns" {
  description = "ARNs of the repositories, for push permissions."
  value       = [for repo in aws_ecr_repository.images : repo.arn]
}
