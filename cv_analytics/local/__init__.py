"""Local stand-ins for AWS: an embedded moto server and Lambda's SQS event source mapping."""
