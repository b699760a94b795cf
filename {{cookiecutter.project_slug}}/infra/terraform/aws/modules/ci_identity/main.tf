# The identities CI assumes through OIDC federation: no long-lived keys, two roles.
# - deploy (var.name): push the images and find the cluster; what it may do inside the cluster is
#   granted by an EKS access entry scoped to one namespace. No access to the artifacts bucket.
# - training (var.name-training): read and write the artifacts bucket (DVC remote, MLflow
#   artifacts); it can neither push an image nor reach the cluster.

resource "aws_iam_openid_connect_provider" "ci" {
  url            = var.issuer_url
  client_id_list = [var.audience]
  tags           = var.tags
}

data "aws_iam_policy_document" "trust" {
  statement {
    sid     = "FederatedCiJobs"
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [aws_iam_openid_connect_provider.ci.arn]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.issuer_host}:aud"
      values   = [var.audience]
    }
    condition {
      test     = "StringLike"
      variable = "${local.issuer_host}:sub"
      values   = var.subjects
    }
  }
}

data "aws_iam_policy_document" "training_trust" {
  statement {
    sid     = "FederatedTrainingJobs"
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [aws_iam_openid_connect_provider.ci.arn]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.issuer_host}:aud"
      values   = [var.audience]
    }
    condition {
      test     = "StringLike"
      variable = "${local.issuer_host}:sub"
      values   = var.training_subjects
    }
  }
}

locals {
  issuer_host = trimprefix(var.issuer_url, "https://")
}

resource "aws_iam_role" "ci" {
  name                 = var.name
  description          = "Assumed by deploy jobs of ${var.repository} to push images and deploy."
  assume_role_policy   = data.aws_iam_policy_document.trust.json
  max_session_duration = 3600
  tags                 = var.tags
}

data "aws_iam_policy_document" "ci" {
  statement {
    # checkov:skip=CKV_AWS_356:ecr:GetAuthorizationToken has no resource-level permissions; AWS requires "*".
    sid       = "RegistryLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }
  statement {
    sid = "PushServiceImage"
    actions = [
      "ecr:BatchCheckLayerAvailability",
      "ecr:BatchGetImage",
      "ecr:CompleteLayerUpload",
      "ecr:DescribeImages",
      "ecr:GetDownloadUrlForLayer",
      "ecr:InitiateLayerUpload",
      "ecr:PutImage",
      "ecr:UploadLayerPart",
    ]
    resources = var.repository_arns
  }
  statement {
    sid       = "FindCluster"
    actions   = ["eks:DescribeCluster"]
    resources = [var.cluster_arn]
  }
}

resource "aws_iam_role_policy" "ci" {
  name   = "${var.name}-least-privilege"
  role   = aws_iam_role.ci.id
  policy = data.aws_iam_policy_document.ci.json
}

resource "aws_iam_role" "training" {
  name                 = "${var.name}-training"
  description          = "Assumed by training jobs of ${var.repository} to sync artifacts; no images, no cluster."
  assume_role_policy   = data.aws_iam_policy_document.training_trust.json
  max_session_duration = 3600
  tags                 = var.tags
}

data "aws_iam_policy_document" "training" {
  statement {
    sid       = "ListArtifacts"
    actions   = ["s3:ListBucket"]
    resources = [var.bucket_arn]
  }
  statement {
    sid       = "ReadWriteArtifacts"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${var.bucket_arn}/*"]
  }
  statement {
    sid       = "UseArtifactsKey"
    actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }
}

resource "aws_iam_role_policy" "training" {
  name   = "${var.name}-training-least-privilege"
  role   = aws_iam_role.training.id
  policy = data.aws_iam_policy_document.training.json
}
