# State in a DigitalOcean Spaces bucket through the S3 backend (region is a placeholder the backend requires).
# Endpoint, bucket and key come per environment: tofu init -backend-config=environments/<env>.s3.tfbackend
# Credentials: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY set to a Spaces access key. The bucket is created once, versioned (see the README).

terraform {
  backend "s3" {
    region                      = "us-east-1"
    skip_credentials_validation = true
    skip_requesting_account_id  = true
    skip_metadata_api_check     = true
    skip_region_validation      = true
    skip_s3_checksum            = true
    use_path_style              = false
  }
}
