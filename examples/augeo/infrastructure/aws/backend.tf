# State in S3, encrypted, locked with an S3 lock file (no DynamoDB table needed).
# Bucket, key and region come per environment: tofu init -backend-config=environments/<env>.s3.tfbackend
# The bucket is created once, versioned and encrypted, as the README shows.

terraform {
  backend "s3" {
    encrypt      = true
    use_lockfile = true
  }
}
