output "repository_url" {
  description = "Where CI pushes the service image (<account>.dkr.ecr.<region>.amazonaws.com/<name>)."
  value       = aws_ecr_repository.service.repository_url
}

output "repository_arn" {
  description = "ARN of the repository, for push permissions."
  value       = aws_ecr_repository.service.arn
}
