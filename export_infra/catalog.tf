# The Glue Data Catalog over the exports: the raw table (DynamoDB JSON, one struct column) and the
# view `records` (the latest snapshot, flattened to the columns of `cv-analytics export`), both
# generated from the Python column definitions (athena.generated.json).
resource "aws_glue_catalog_database" "analytics" {
  name        = local.database_name
  description = "cv-analytics records exported from ${local.analytics_table_name}."
}

resource "aws_glue_catalog_table" "export" {
  name          = local.athena.raw_table.name
  database_name = aws_glue_catalog_database.analytics.name
  description   = "Every DynamoDB export under s3://${local.bucket_name}/${local.snapshot_root}/ (DynamoDB JSON, gzip); read it through the records view."
  table_type    = "EXTERNAL_TABLE"

  parameters = {
    EXTERNAL        = "TRUE"
    classification  = "json"
    compressionType = "gzip"
  }

  storage_descriptor {
    location      = "s3://${local.bucket_name}/${local.snapshot_root}/"
    input_format  = "org.apache.hadoop.mapred.TextInputFormat"
    output_format = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"

    ser_de_info {
      name                  = "dynamodb-json"
      serialization_library = "org.openx.data.jsonserde.JsonSerDe"
      parameters = {
        # The export's manifest and checksum files sit beside the data: skipped, not fatal.
        "ignore.malformed.json" = "true"
        "case.insensitive"      = "true"
      }
    }

    dynamic "columns" {
      for_each = local.athena.raw_table.columns
      content {
        name = columns.value.name
        type = columns.value.type
      }
    }
  }
}

# An Athena view is a Glue table of type VIRTUAL_VIEW whose original text carries the view's SQL
# and columns (base64 JSON, Presto's view format).
resource "aws_glue_catalog_table" "records" {
  name          = local.athena.view.name
  database_name = aws_glue_catalog_database.analytics.name
  description   = "The latest export's records, with the columns of cv-analytics export."
  table_type    = "VIRTUAL_VIEW"

  parameters = {
    presto_view = "true"
    comment     = "Presto View"
  }

  view_original_text = "/* Presto View: ${base64encode(jsonencode({
    originalSql = local.athena.view.sql
    catalog     = "awsdatacatalog"
    schema      = aws_glue_catalog_database.analytics.name
    columns     = [for column in local.athena.view.columns : { name = column.name, type = column.presto_type }]
  }))} */"
  view_expanded_text = "/* Presto View */"

  storage_descriptor {
    dynamic "columns" {
      for_each = local.athena.view.columns
      content {
        name    = columns.value.name
        type    = columns.value.hive_type
        comment = columns.value.comment
      }
    }
  }

  depends_on = [aws_glue_catalog_table.export]
}
