# State of the bootstrap stack, in the state bucket of the environments (see the README).

terraform {
  backend "s3" {
    bucket       = "hello-terraform-state"
    key          = "hello/bootstrap/terraform.tfstate"
    region       = "us-east-1"
    encrypt      = true
    use_lockfile = true
  }
}
