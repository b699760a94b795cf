output "role_arn" {
  description = "ARN of the role CI assumes (aws-actions/configure-aws-credentials role-to-assume)."
  value       = aws_iam_role.ci.arn
}
