output "role_arn" {
  description = "ARN of the deploy role CI assumes (aws-actions/configure-aws-credentials role-to-assume)."
  value       = aws_iam_role.ci.arn
}

output "training_role_arn" {
  description = "ARN of the training role: the artifacts bucket only."
  value       = aws_iam_role.training.arn
}
