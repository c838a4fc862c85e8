# State of the bootstrap stack, in the state bucket of the environments (see the README).

terraform {
  backend "s3" {
    bucket       = "todo-terraform-state"
    key          = "todo/bootstrap/terraform.tfstate"
    region       = "us-east-1"
    encrypt      = true
    use_lockfile = true
  }
}
