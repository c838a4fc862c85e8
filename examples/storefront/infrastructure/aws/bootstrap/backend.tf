# State of the bootstrap stack, in the state bucket of the environments (see the README).

terraform {
  backend "s3" {
    bucket       = "storefront-terraform-state-123456789012"
    key          = "storefront/bootstrap/terraform.tfstate"
    region       = "us-east-1"
    encrypt      = true
    use_lockfile = true
  }
}
