# --- the schedule's role: start an export of the table into the snapshots prefix, nothing else ---

data "aws_iam_policy_document" "scheduler_assume_role" {
  statement {
    sid     = "SchedulerAssumesRole"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

# DynamoDB writes the export with the caller's rights: the S3 actions its documentation lists.
data "aws_iam_policy_document" "export" {
  statement {
    sid       = "ExportAnalyticsTable"
    effect    = "Allow"
    actions   = ["dynamodb:ExportTableToPointInTime"]
    resources = [data.aws_dynamodb_table.analytics.arn]
  }

  statement {
    sid       = "WriteSnapshots"
    effect    = "Allow"
    actions   = ["s3:PutObject", "s3:PutObjectAcl", "s3:AbortMultipartUpload"]
    resources = ["${aws_s3_bucket.data.arn}/${local.snapshot_root}/*"]
  }
}

resource "aws_iam_role" "export" {
  name                 = "${local.schedule_name}-role"
  description          = "Assumed by EventBridge Scheduler to export ${local.analytics_table_name} to s3://${local.bucket_name}/${local.snapshot_root}/."
  assume_role_policy   = data.aws_iam_policy_document.scheduler_assume_role.json
  permissions_boundary = local.permissions_boundary_arn
}

resource "aws_iam_role_policy" "export" {
  name   = "least-privilege"
  role   = aws_iam_role.export.id
  policy = data.aws_iam_policy_document.export.json
}

# --- what an analyst needs for `cv-analytics query --engine athena` (attach to their role) ---

data "aws_iam_policy_document" "analyst" {
  statement {
    sid    = "RunQueriesInTheWorkgroup"
    effect = "Allow"
    actions = [
      "athena:StartQueryExecution",
      "athena:GetQueryExecution",
      "athena:GetQueryResults",
      "athena:StopQueryExecution",
      "athena:GetWorkGroup",
      "athena:ListNamedQueries",
      "athena:GetNamedQuery",
      "athena:BatchGetNamedQuery",
    ]
    resources = [aws_athena_workgroup.analytics.arn]
  }

  statement {
    sid     = "ReadTheCatalogue"
    effect  = "Allow"
    actions = ["glue:GetDatabase", "glue:GetTable", "glue:GetTables"]
    resources = [
      "${local.glue_arn}:catalog",
      "${local.glue_arn}:database/${aws_glue_catalog_database.analytics.name}",
      "${local.glue_arn}:table/${aws_glue_catalog_database.analytics.name}/*",
    ]
  }

  statement {
    sid       = "ListTheBucket"
    effect    = "Allow"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = [aws_s3_bucket.data.arn]
  }

  statement {
    sid       = "ReadSnapshots"
    effect    = "Allow"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.data.arn}/${local.snapshot_root}/*"]
  }

  # Athena writes a query's results to the workgroup's output location as the caller.
  statement {
    sid       = "WriteQueryResults"
    effect    = "Allow"
    actions   = ["s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload"]
    resources = ["${aws_s3_bucket.data.arn}/${local.results_root}/*"]
  }
}

resource "aws_iam_policy" "analyst" {
  name        = "${local.workgroup_name}-analyst"
  description = "Run SQL in the ${local.workgroup_name} Athena workgroup over the analytics exports, and nothing else."
  policy      = data.aws_iam_policy_document.analyst.json
}
