# Where DynamoDB's exports and Athena's query results go. Private, owner-enforced, encrypted at
# rest with S3-managed keys, TLS only; every object expires (the exports are copies of a table
# that keeps 90 days, and each export is a full snapshot).
resource "aws_s3_bucket" "data" {
  #checkov:skip=CKV_AWS_18:Access logs would need a second bucket for copies of data whose reads Athena's own query history and CloudTrail already record.
  #checkov:skip=CKV_AWS_21:Versioning would keep every expired snapshot: each export is a full, re-creatable copy of the table (point-in-time recovery keeps 35 days).
  #checkov:skip=CKV_AWS_144:No cross-region replication: the data is re-created from the table by the next export.
  #checkov:skip=CKV_AWS_145:SSE-S3 rather than a customer-managed KMS key: no $1/month key and no kms grants for DynamoDB's export, Athena and the analyst role.
  #checkov:skip=CKV2_AWS_62:Nothing reacts to new objects: the export is read when an operator queries it.
  bucket        = local.bucket_name
  force_destroy = var.force_destroy
}

resource "aws_s3_bucket_ownership_controls" "data" {
  bucket = aws_s3_bucket.data.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "data" {
  bucket                  = aws_s3_bucket.data.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "data" {
  bucket = aws_s3_bucket.data.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "data" {
  bucket = aws_s3_bucket.data.id

  rule {
    id     = "expire-snapshots"
    status = "Enabled"

    filter {
      prefix = "${local.snapshot_root}/"
    }

    expiration {
      days = var.snapshot_retention_days
    }
  }

  rule {
    id     = "expire-query-results"
    status = "Enabled"

    filter {
      prefix = "${local.results_root}/"
    }

    expiration {
      days = var.query_result_retention_days
    }
  }

  # An export or a query result that failed halfway leaves no parts to pay for.
  rule {
    id     = "abort-incomplete-uploads"
    status = "Enabled"

    filter {}

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
}

data "aws_iam_policy_document" "bucket" {
  statement {
    sid     = "TlsOnly"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.data.arn,
      "${aws_s3_bucket.data.arn}/*",
    ]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "data" {
  count  = var.deny_insecure_transport ? 1 : 0
  bucket = aws_s3_bucket.data.id
  policy = data.aws_iam_policy_document.bucket.json

  depends_on = [aws_s3_bucket_public_access_block.data]
}
